"""A loopback HTTP server answering POST /v2/rest/query with a pre-generated v2 body.

The fragmented body goes to clients that ask for results_v2_fragment_primary_tables (libkusto), the plain one to
the others (azure-kusto-data, requests). The CSL text names the size: "rows=100000", and may make the server
think first, as a cluster runs a query before it answers: "rows=1000 wait=100" (milliseconds). With "mark" in
the CSL the server prints {"first_byte": t} on its standard output, t the CLOCK_MONOTONIC time (time.monotonic(),
the same clock in every process) just before it sends the status line: the runner's zero for time to first row.

    python bench/server.py DIR   (prints its port, serves DIR/{rows}.{fragmented,plain}.json until killed)
"""
import http.server
import json
import os
import re
import socketserver
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    directory = "."

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        text = body.decode("utf-8", "replace")
        # "form=plain" in the query: the plain body even to a client that asks for fragments (libkusto), as a
        # server that does not honour the property sends it.
        fragments = "results_v2_fragment_primary_tables" in text and "form=plain" not in text
        form = "fragmented" if fragments else "plain"
        match = re.search(r"rows=(\d+)", text)
        path = os.path.join(self.directory, f"{match.group(1) if match else 0}.{form}.json")
        wait = re.search(r"wait=(\d+)", text)
        if wait:
            time.sleep(int(wait.group(1)) / 1000)
        if not os.path.exists(path):
            self.send_response(400)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if "mark" in text:
            print(json.dumps({"first_byte": time.monotonic()}), flush=True)
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(os.path.getsize(path)))
        self.end_headers()
        with open(path, "rb") as f:
            self.wfile.flush()
            self.connection.sendfile(f)

    def do_GET(self):  # azure-kusto-data may ask for cloud settings: none here
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 64


def main():
    Handler.directory = sys.argv[1]
    server = Server(("127.0.0.1", 0), Handler)
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
