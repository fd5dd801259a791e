"""A sim hub process and a minimal blocking host client built on the integration's codec."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from custom_components.balance.hub import auth
from custom_components.balance.hub.frame import FrameDecoder, encode_frame
from custom_components.balance.hub.messages import (
    PROTOCOL_VERSION,
    Auth,
    Hello,
    Message,
    decode_payload,
    encode_payload,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class SimHub:
    """`micropython -m boards.sim` listening on 127.0.0.1:<port>."""

    def __init__(self, micropython: Path, firmware: Path, scenario: Path, *, state_dir: Path,
                 port: int, options: tuple[str, ...]) -> None:  # fmt: skip
        state_dir.mkdir(parents=True, exist_ok=True)
        self.port = port
        command = [
            str(micropython),
            "-m",
            "boards.sim",
            "--scenario",
            str(scenario),
            "--tcp",
            f"127.0.0.1:{port}",
            "--state-dir",
            str(state_dir),
            *options,
        ]
        env = dict(os.environ, MICROPYPATH=f"{firmware}:.frozen")
        self.process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE,
                                        stdout=subprocess.DEVNULL)  # fmt: skip
        assert self.process.stderr is not None
        for line in self.process.stderr:
            if b"sim: ready" in line:
                break
        else:
            raise RuntimeError(f"sim hub exited with {self.process.wait()}")

    def connect(self, psk: bytes | None = None, handshake: bool = True) -> Client:
        client = Client(socket.create_connection(("127.0.0.1", self.port), timeout=10))
        if handshake:
            client.handshake(psk)
        return client

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


class Client:
    """Blocking host end of the link: send messages, wait for the ones you expect."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.decoder = FrameDecoder()
        self.key: bytes | None = None
        self.seq = 0
        self.inbox: list[Message] = []
        self.raw_sent: list[bytes] = []

    def send(self, message: Message, key: bytes | None = None, seq: int | None = None) -> bytes:
        frame = encode_frame(
            message.TYPE,
            self.seq if seq is None else seq,
            encode_payload(message),
            key if key is not None else self.key,
        )
        self.seq += 1
        self.sock.sendall(frame)
        self.raw_sent.append(frame)
        return frame

    def receive(self, timeout: float = 5.0) -> Message | None:
        """Next message, or None on timeout; raises ConnectionError when the hub closed."""
        if self.inbox:
            return self.inbox.pop(0)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                break
            if not data:
                raise ConnectionError("hub closed the connection")
            frames = self.decoder.feed(data)
            self.inbox.extend(decode_payload(f.type, f.payload) for f in frames)
            if self.inbox:
                return self.inbox.pop(0)
        return None

    def wait_for(self, kind: type[Message], timeout: float = 5.0, **match: Any) -> Message:
        """First message of `kind` whose fields equal `match`; others are skipped."""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            message = self.receive(remaining)
            if isinstance(message, kind) and all(
                getattr(message, k) == v for k, v in match.items()
            ):
                return message
        raise TimeoutError(f"no {kind.__name__} {match}")

    def collect(self, kind: type[Message], until: type[Message], timeout: float = 10.0) -> tuple[
        list[Any], Message
    ]:  # fmt: skip
        """All messages of `kind` before the first `until`."""
        found: list[Any] = []
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            message = self.receive(remaining)
            if isinstance(message, kind):
                found.append(message)
            elif isinstance(message, until):
                return found, message
        raise TimeoutError(f"no {until.__name__}")

    def handshake(self, psk: bytes | None) -> Hello:
        nonce = auth.new_nonce()
        self.send(Hello(PROTOCOL_VERSION, 1, 0, 0, nonce, "pytest"))
        hello = self.wait_for(Hello)
        assert isinstance(hello, Hello)
        if psk is not None:
            key = auth.session_key(psk, hello.nonce, nonce)
            self.send(Auth(auth.proof(key, auth.HOST_LABEL)))
            self.decoder.set_key(key)
            self.key = key
        return hello

    def close(self) -> None:
        self.sock.close()
