#!/usr/bin/env python3
"""Minimal CQL native-protocol (v4) client, standard library only.

Used by cassandra.sh as the readiness probe: it opens a real CQL session
(STARTUP -> READY) and runs a query, by default
    SELECT release_version FROM system.local
printing each result row (text columns decoded, others as hex).

usage: cqlping.py HOST PORT [QUERY] [--timeout SECONDS]
exit status: 0 on a RESULT frame, 1 on any error (message on stderr).
"""
import socket
import struct
import sys

OP_ERROR, OP_STARTUP, OP_READY, OP_AUTHENTICATE, OP_QUERY, OP_RESULT = 0x00, 0x01, 0x02, 0x03, 0x07, 0x08
TEXT_TYPES = {0x0001, 0x000A, 0x000D}  # ascii, text, varchar


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by server")
        buf += chunk
    return buf


def request(sock, stream, opcode, body):
    sock.sendall(struct.pack(">BBhBi", 0x04, 0, stream, opcode, len(body)) + body)
    version, _flags, _stream, op, length = struct.unpack(">BBhBi", recv_exact(sock, 9))
    payload = recv_exact(sock, length)
    if op == OP_ERROR:
        code = struct.unpack(">i", payload[:4])[0]
        msg_len = struct.unpack(">H", payload[4:6])[0]
        raise RuntimeError("server error 0x%04x: %s" % (code, payload[6:6 + msg_len].decode("utf-8", "replace")))
    return op, payload


def string(s):
    b = s.encode()
    return struct.pack(">H", len(b)) + b


class Reader:
    def __init__(self, data):
        self.d, self.i = data, 0

    def take(self, n):
        v = self.d[self.i:self.i + n]
        self.i += n
        return v

    def int(self):
        return struct.unpack(">i", self.take(4))[0]

    def short(self):
        return struct.unpack(">H", self.take(2))[0]

    def string(self):
        return self.take(self.short()).decode("utf-8", "replace")

    def option(self):
        tid = self.short()
        if tid == 0x0000:
            self.string()
        elif tid in (0x0020, 0x0022):  # list, set
            self.option()
        elif tid == 0x0021:  # map
            self.option()
            self.option()
        elif tid == 0x0030:  # UDT
            self.string(); self.string()
            for _ in range(self.short()):
                self.string(); self.option()
        elif tid == 0x0031:  # tuple
            for _ in range(self.short()):
                self.option()
        return tid


def decode(tid, v):
    if tid in TEXT_TYPES:
        return v.decode("utf-8", "replace")
    if tid in (0x0002, 0x0005, 0x0009, 0x0013, 0x0014) and len(v) in (1, 2, 4, 8):  # bigint counter int smallint tinyint
        return str(int.from_bytes(v, "big", signed=True))
    if tid == 0x0004 and len(v) == 1:  # boolean
        return "true" if v[0] else "false"
    return v.hex()


def rows(payload):
    r = Reader(payload)
    kind = r.int()
    if kind != 2:  # not Rows (Void, SetKeyspace, SchemaChange ...)
        return []
    flags, ncols = r.int(), r.int()
    if flags & 0x0002:  # has_more_pages: paging state
        r.take(r.int())
    if flags & 0x0004:  # no_metadata
        types = [None] * ncols
    else:
        if flags & 0x0001:
            r.string(); r.string()
        types = []
        for _ in range(ncols):
            if not flags & 0x0001:
                r.string(); r.string()
            r.string()
            types.append(r.option())
    out = []
    for _ in range(r.int()):
        row = []
        for t in types:
            n = r.int()
            if n < 0:
                row.append("null")
            else:
                v = r.take(n)
                row.append(decode(t, v))
        out.append(row)
    return out


def main(argv):
    timeout = 5.0
    args = []
    it = iter(argv)
    for a in it:
        if a == "--timeout":
            timeout = float(next(it))
        else:
            args.append(a)
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    host, port = args[0], int(args[1])
    query = args[2] if len(args) > 2 else "SELECT release_version FROM system.local"
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            op, _ = request(sock, 0, OP_STARTUP, struct.pack(">H", 1) + string("CQL_VERSION") + string("3.0.0"))
            if op == OP_AUTHENTICATE:
                raise RuntimeError("server requires authentication")
            if op != OP_READY:
                raise RuntimeError("unexpected opcode 0x%02x after STARTUP" % op)
            q = query.encode()
            body = struct.pack(">i", len(q)) + q + struct.pack(">HB", 0x0001, 0)  # consistency ONE, no flags
            op, payload = request(sock, 1, OP_QUERY, body)
            if op != OP_RESULT:
                raise RuntimeError("unexpected opcode 0x%02x after QUERY" % op)
            for row in rows(payload):
                print("\t".join(row))
    except Exception as e:  # noqa: BLE001 - probe: any failure means "not ready"
        print("cqlping: %s:%d: %s" % (host, port, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
