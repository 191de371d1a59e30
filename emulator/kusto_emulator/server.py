"""HTTPS transport: a threading HTTP/1.1 server (keep-alive, chunked streaming, fault truncation)."""
import socket
import socketserver
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .web import Request, json_response

QUIET_ERRORS = (ConnectionError, ssl.SSLError, socket.timeout, TimeoutError)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "KustoEmulator/1.0"
    timeout = 120           # an idle keep-alive connection is closed after this many seconds

    def setup(self):
        self.request.settimeout(self.timeout)
        self.request.do_handshake()     # in this connection's thread, so a slow client cannot stall accept()
        super().setup()

    def do_GET(self):
        self.serve()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_GET

    def serve(self):
        try:
            body = self.read_body()
        except ValueError:
            self.send_error(400, "Malformed request body")
            return
        request = Request(self.command, self.path, self.headers, body, self.client_address)
        try:
            response, truncate_after = self.server.emulator.handle(request)
        except Exception as e:  # a bug in the emulator: answer, and say so on stderr
            print("kusto emulator: error handling %s %s: %r" % (self.command, request.path, e), file=sys.stderr)
            response, truncate_after = json_response(500, {"error": {"code": "InternalServiceError",
                                                                     "message": "emulator bug: %r" % e}}), None
        if not self.send(response, truncate_after):
            self.close_connection = True
            self.server.emulator.client_went_away(request)
        if self.server.verbose:
            print("kusto emulator: %s %s -> %d" % (self.command, request.path, response.status), file=sys.stderr)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, response, truncate_after):
        """False when the client went away before the whole answer was written."""
        try:
            self._write(response, truncate_after)
            return True
        except QUIET_ERRORS:
            return False
        finally:
            if truncate_after is not None:
                self.close_connection = True
                self._cut_connection()

    def _write(self, response, truncate_after):
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.streamed:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(response.body)))
        if truncate_after is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        chunks = response.body if response.streamed else [response.body]
        budget = truncate_after
        for data in chunks:
            if budget is not None:
                data, budget = data[:budget], budget - len(data[:budget])
            if data:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if response.streamed else data)
            if budget == 0:
                return
        if response.streamed:
            self.wfile.write(b"0\r\n\r\n")

    def _cut_connection(self):
        try:
            self.request.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def log_message(self, format, *args):
        pass                # requests are recorded in the request log; never echo paths or headers here


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, emulator, ssl_context, verbose=False):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.emulator = emulator
        self.verbose = verbose
        super().__init__(address, Handler)
        self.socket = ssl_context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def server_bind(self):
        # HTTPServer.server_bind would resolve the host name (getfqdn), which can hang without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], QUIET_ERRORS + (OSError,)):
            super().handle_error(request, client_address)
