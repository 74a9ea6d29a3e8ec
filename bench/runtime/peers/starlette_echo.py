"""Bare Starlette + orjson echo: parses the JSON body and writes it back (the floor of a JSON
endpoint on this stack: uvicorn + Starlette + orjson, no model).

    python starlette_echo.py PORT
"""

import sys

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def echo(request: Request) -> Response:
    return Response(orjson.dumps(orjson.loads(await request.body())), media_type="application/json")


app = Starlette(routes=[Route("/v2/models/{name}/infer", echo, methods=["POST"]),
                        Route("/echo", echo, methods=["POST"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=False, log_level="warning",
                server_header=False, date_header=False)
