"""The web stack's ceiling: FastAPI on uvicorn, one route that returns a constant.

    python -m bench.ceiling_app --port PORT

It runs as the Campus runner runs its apps (uvicorn.run, log level warning),
so the gap between it and Campus is what Campus itself does per request.
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn
from fastapi import FastAPI

app = FastAPI()
CONSTANT = {"id": "00000000-0000-0000-0000-000000000000", "status": "draft"}


@app.get("/health/live")
def live() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/constant")
async def constant(body: dict[str, Any]) -> dict[str, str]:
    return CONSTANT


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ceiling_app")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
