"""`python -m emulator --tenant SEED.json [--port P]`: serve until SIGTERM or Ctrl-C.

Prints one JSON line `{"graph", "authority", "admin", "ca"}` on stdout when ready; the CA path also on stderr."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from types import FrameType

from emulator import SeedError, start_emulator

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator", description="Microsoft Graph emulator (dev/test)")
    parser.add_argument("--tenant", required=True, help="tenant seed JSON file")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    args = parser.parse_args(argv)
    try:
        emulator = start_emulator(args.tenant, host=args.host, port=args.port)
    except SeedError as exc:
        print(f"seed: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot start the emulator: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(json.dumps(emulator.ready_line()), flush=True)
    print(f"trust this certificate: {emulator.ca_cert_path}", file=sys.stderr, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
