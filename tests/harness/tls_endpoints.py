"""Small TCP endpoints for network discovery tests, in threads of the test process.

    SmtpStartTls(cert_path, key_path)  an SMTP server that offers STARTTLS (RFC 3207) and then
                                        speaks real TLS with the given certificate (stdlib ssl)
    PlainText()                         accepts and answers with a plain-text banner: not TLS
    Hanging()                           accepts and never says a word: discovery must time out
    TlsServer(cert_path, key_path)      plain TLS (the handshake, then close), for the discovery bench

Each has ``host``, ``port``, ``endpoint`` ('127.0.0.1:port'), ``stop()`` and is a context
manager. Connections counted in ``connections``.
"""

from __future__ import annotations

import socket
import ssl
import threading

from harness.servers import LOCALHOST

__all__ = ["SmtpStartTls", "PlainText", "Hanging", "TlsServer"]


class _Endpoint:
    def __init__(self) -> None:
        self.host = LOCALHOST
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((LOCALHOST, 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self.endpoint = f"{LOCALHOST}:{self.port}"
        self.connections = 0
        self._stop = threading.Event()
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _addr = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            self._open.append(conn)
            threading.Thread(target=self._serve_safely, args=(conn,), daemon=True).start()

    def _serve_safely(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(30)
            self.serve(conn)
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def serve(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self._stop.set()
        for conn in self._open:
            try:
                conn.close()
            except OSError:
                pass
        self._sock.close()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class SmtpStartTls(_Endpoint):
    """220 greeting, EHLO advertising STARTTLS, STARTTLS -> TLS with cert_path/key_path, then QUIT."""

    def __init__(self, cert_path: str, key_path: str, name: str = "mail.test") -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert_path, key_path)
        self.name = name
        super().__init__()

    def serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        conn.sendall(f"220 {self.name} ESMTP test\r\n".encode())
        while True:
            line = reader.readline()
            if not line:
                return
            verb = line.strip().split(b" ")[0].upper()
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(f"250-{self.name}\r\n250-SIZE 1000000\r\n250 STARTTLS\r\n".encode())
            elif verb == b"STARTTLS":
                conn.sendall(b"220 2.0.0 Ready to start TLS\r\n")
                tls = self.context.wrap_socket(conn, server_side=True)
                tls.recv(1024)    # the client closes after the handshake
                return
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"502 5.5.2 command not recognized\r\n")


class PlainText(_Endpoint):
    def serve(self, conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\n\r\nnot TLS here\r\n")
        conn.recv(1024)


class Hanging(_Endpoint):
    def serve(self, conn: socket.socket) -> None:
        self._stop.wait(60)


class TlsServer(_Endpoint):
    """A TLS server (stdlib ssl) presenting cert_path (may hold the chain) with key_path; closes after the handshake."""

    def __init__(self, cert_path: str, key_path: str) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert_path, key_path)
        super().__init__()

    def serve(self, conn: socket.socket) -> None:
        tls = self.context.wrap_socket(conn, server_side=True)
        try:
            tls.recv(1024)
        except (OSError, ssl.SSLError):
            pass
