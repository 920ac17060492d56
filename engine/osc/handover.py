"""TCP clients' feedback subscriptions, handed from the receiver process to the engine's feedback sender: the
connection itself (its file descriptor) crosses a Unix socket, so feedback goes back on the connection the
client opened, never to an address a packet merely claims."""
from __future__ import annotations

import json
import socket

MAX_MESSAGE = 512


class Handover:
    """The receiver's end."""

    def __init__(self, channel: socket.socket):
        self._channel = channel

    def give(self, action: str, ip: str, port: int, connection: socket.socket) -> bool:
        """'subscribe' hands the connection over (again, to renew), 'unsubscribe' ends it; False if the engine
        did not take it (it is gone, or its end is full: the client may simply ask again)."""
        message = json.dumps({"action": action, "ip": ip, "peer": f"{ip}:{port}"}).encode()
        try:
            socket.send_fds(self._channel, [message], [connection.fileno()] if action == "subscribe" else [],
                            socket.MSG_DONTWAIT)
        except OSError:
            return False
        return True


def take(channel: socket.socket, feedback) -> None:
    """The engine's end, on a thread of its own: until the receiver's end closes."""
    with channel:
        while True:
            try:
                message, fds, _, _ = socket.recv_fds(channel, MAX_MESSAGE, 1)
            except OSError:
                return
            if not message:
                for fd in fds:
                    socket.close(fd)
                return  # the receiver stopped
            what = json.loads(message)
            if what["action"] == "subscribe" and fds:
                feedback.subscribe_stream(what["ip"], what["peer"], socket.socket(fileno=fds[0]))
            elif what["action"] == "unsubscribe":
                feedback.unsubscribe_stream(what["ip"], what["peer"])
                for fd in fds:
                    socket.close(fd)
