"""``python -m bs_core.simulator --port 8765 --size demo [--seed N] [--token T] [--latency-ms N]``"""

from __future__ import annotations

import argparse
import signal
import sys

from .api import DEFAULT_TOKEN, Simulator
from .dataset import PRESETS
from .server import SimulatorServer


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bs_core.simulator",
                                 description="Serve a simulated BroadStreet API.")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--size", choices=sorted(PRESETS), default="demo")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--token", default=DEFAULT_TOKEN)
    ap.add_argument("--latency-ms", type=float, default=0.0)
    ap.add_argument("--records-limit", type=int, default=2, help="/records calls per window")
    ap.add_argument("--records-window", type=float, default=5.0, help="window in seconds")
    args = ap.parse_args(argv)
    from ..entities import simulated  # the entry point wires the registry's declared kinds in

    sim = Simulator(args.size, args.seed, args.token, args.latency_ms,
                    args.records_limit, args.records_window, recipes=simulated())
    server = SimulatorServer(sim, args.host, args.port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"BroadStreet simulator ({args.size}, seed {args.seed}) on {server.api_url}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
