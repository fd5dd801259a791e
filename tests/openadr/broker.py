"""A real Mosquitto broker on 127.0.0.1 for the MQTT notifier tests (Debian's `mosquitto`)."""

from __future__ import annotations

import asyncio
import getpass
import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .certs import Tls


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Broker:
    """`await start()`; `uri` is mqtt:// (or mqtts:// with `tls`)."""

    folder: Path
    tls: Tls | None = None
    users: dict[str, str] = field(default_factory=dict)  # user -> password; empty: anonymous
    require_certificate: bool = False  # mTLS: clients must present a certificate of `tls`'s CA
    port: int = field(default_factory=free_port)
    _process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        """Where clients connect."""
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def _config(self) -> Path:
        lines = [f"listener {self.port} 127.0.0.1", "persistence false", "log_dest stderr"]
        if getpass.getuser() == "root":
            lines.append("user root")  # else it drops to `mosquitto`, who cannot read tmp_path
        if self.users:
            passwords = self.folder / "passwd"
            for index, (user, password) in enumerate(self.users.items()):
                create = ["-c"] if index == 0 else []
                subprocess.run(
                    ["mosquitto_passwd", *create, "-b", str(passwords), user, password],
                    check=True,
                )
            lines += ["allow_anonymous false", f"password_file {passwords}"]
        else:
            lines.append("allow_anonymous true")
        if self.tls is not None:
            for name, text in (("ca.pem", self.tls.ca_pem), ("cert.pem", self.tls.cert_pem)):
                (self.folder / name).write_text(text)
            (self.folder / "key.pem").write_text(self.tls.key_pem)
            lines += [
                f"cafile {self.folder / 'ca.pem'}",
                f"certfile {self.folder / 'cert.pem'}",
                f"keyfile {self.folder / 'key.pem'}",
            ]
            if self.require_certificate:
                lines.append("require_certificate true")
        config = self.folder / "mosquitto.conf"
        config.write_text("\n".join(lines) + "\n")
        return config

    def _spawn(self) -> None:
        binary = shutil.which("mosquitto", path="/usr/sbin:/usr/bin:/usr/local/sbin")
        assert binary is not None, "mosquitto is missing: `make test` installs it"
        self._process = subprocess.Popen([binary, "-c", str(self._config())])

    async def start(self) -> None:
        """Start mosquitto and wait until it accepts connections."""
        self._spawn()
        for _ in range(100):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            return
        raise AssertionError("mosquitto did not start")

    def stop(self) -> None:
        """Stop the broker (clients see their connection end)."""
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None
