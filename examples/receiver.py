#!/usr/bin/env python3
"""A webhook receiver for the demo: prints each SMN push herald makes, after checking its
Standard Webhooks signature (HMAC-SHA256 with the subscription's whsec_ secret), and exits after
the first Notification. Usage: receiver.py PORT SECRET_FILE (the secret is read when a push
arrives: the demo learns it from AddSubscription after the receiver started)."""
import base64, hashlib, hmac, json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

port, secret_file = int(sys.argv[1]), sys.argv[2]


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        secret = open(secret_file).read().strip()
        key = base64.b64decode(secret.removeprefix("whsec_"))
        signed = f"{self.headers['webhook-id']}.{self.headers['webhook-timestamp']}.".encode() + body
        mac = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        verified = hmac.compare_digest(mac, self.headers["webhook-signature"])
        self.send_response(200)
        self.end_headers()
        push = json.loads(body)
        print(f"receiver: {push['type']} {push['message_id']} "
              f"(webhook signature {'verified' if verified else 'WRONG'})", flush=True)
        if push["type"] == "Notification":
            print("receiver: message " + push["message"], flush=True)
            raise SystemExit(0 if verified else 1)

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", port), Receiver).serve_forever()
