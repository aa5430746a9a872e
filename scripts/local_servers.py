"""What the recording and suite scripts share about servers on 127.0.0.1:
a free port to give one, and waiting until one answers PING."""

import socket
import time


def free_port():
    """A port nothing listens on now (the kernel's pick)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, timeout=10.0):
    """Whether the server `proc` started answers PING on `port` in time
    (False as soon as the process has ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                # A server with requirepass answers too, with NOAUTH.
                if s.recv(16).startswith((b"+PONG", b"-NOAUTH")):
                    return True
        except OSError:
            time.sleep(0.05)
    return False
