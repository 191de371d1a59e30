"""kusto-emulator [--host 127.0.0.1] [--port 0] [--print-config] [--request-log FILE] [--verbose]
(also python -m kusto_emulator, and python -m kusto.emulator where the kusto package is installed)

With --print-config the first line on stdout is the JSON configuration (it holds the client secret); the
emulator then serves until SIGTERM/SIGINT, or until its parent process exits.
"""
import argparse
import json
import os
import signal
import sys
import threading

from .app import Emulator
from .server import Server


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="kusto-emulator", description=__doc__.split("\n\n")[1])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port (0: any free port)")
    parser.add_argument("--print-config", action="store_true", help="print one line of JSON config to stdout")
    parser.add_argument("--request-log", metavar="FILE", help="append every request (redacted) as JSON lines")
    parser.add_argument("--verbose", action="store_true", help="print method, path and status to stderr")
    return parser.parse_args(argv)


def banner(config):
    return ("Kusto emulator (Azure AD + cluster) listening on %(cluster)s\n"
            "  authority  %(authority)s\n  client id  %(client_id)s\n  database   %(database)s\n"
            "  CA file    %(ca_file)s\n  control    %(control)s\n"
            "Run with --print-config to get the client secret and connection string. Ctrl-C stops.\n" % config)


def serve(args):
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    emulator = Emulator(args.host, args.request_log)
    try:
        server = Server((args.host, args.port), emulator, emulator.credentials.server_context(), args.verbose)
        emulator.bind(args.host, server.server_address[1])
        if args.print_config:
            sys.stdout.write(json.dumps(emulator.config()) + "\n")
            sys.stdout.flush()
        else:
            sys.stderr.write(banner(emulator.config()))
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        thread.start()
        parent = os.getppid()
        while not stop.wait(0.5):
            if os.getppid() != parent:
                break       # orphaned: whoever started us is gone
        server.shutdown()
        server.server_close()
    finally:
        emulator.close()


def main(argv=None):
    serve(parse_args(sys.argv[1:] if argv is None else argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
