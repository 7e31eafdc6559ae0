"""The bare floor of real-time ``Predict``: a minimal Starlette endpoint around the same saved models.

``benchmarks/predict.py`` runs this as a separate server next to ``openaml serve`` and drives both
with the same load generator and the same requests, so that the ratio of OpenAML's requests/s to this
one's says what the service costs on top of the model and the HTTP server. The endpoint reads the
JSON ``Predict`` body (orjson), looks the model up by ``MLModelId``, calls
:class:`~openaml.engine.predictors.RecordPredictor` ``.predict`` on the record and answers the
prediction as JSON; no SigV4, no validation, no size limits, no request ID. Like a serving process of
``openaml serve`` it limits the numeric libraries to one thread and freezes the loaded objects out of
the garbage collector's sight, and it runs the same number of processes (uvicorn's defaults: httptools,
uvloop, access log off).

Usage (``predict.py`` does this)::

    python benchmarks/predict_bare_floor.py --workers 2 '{"har-automl": "/path/to/model/dir"}'

It prints ``listening on http://127.0.0.1:<port>`` once the socket is bound.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import socket
import sys
from pathlib import Path

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from threadpoolctl import threadpool_limits
from uvicorn.supervisors.multiprocess import Multiprocess

from openaml.engine.data.schema import parse_data_schema
from openaml.engine.models import load_model
from openaml.engine.predictors import RecordPredictor

MODELS_ENV = "OPENAML_BENCHMARK_BARE_MODELS"


def create_app() -> Starlette:
    """The bare application over the models named in ``OPENAML_BENCHMARK_BARE_MODELS`` (ID → folder)."""
    predictors = {}
    for model_id, folder in json.loads(os.environ[MODELS_ENV]).items():
        model, metadata = load_model(Path(folder))
        predictors[model_id] = RecordPredictor(model, parse_data_schema(json.dumps(metadata["schema"])))
    threadpool_limits(limits=1)
    gc.freeze()

    async def predict(request: Request) -> Response:
        params = orjson.loads(await request.body())
        prediction = predictors[params["MLModelId"]].predict([params["Record"]])[0]
        return Response(orjson.dumps({"Prediction": prediction}), media_type="application/x-amz-json-1.1")

    return Starlette(routes=[Route("/", predict, methods=["POST"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("models", help="JSON object: model ID → saved model folder")
    args = parser.parse_args()
    os.environ[MODELS_ENV] = args.models
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    options = {"log_level": "warning", "access_log": False, "factory": True, "workers": args.workers}
    config = uvicorn.Config("predict_bare_floor:create_app", **options)  # type: ignore[arg-type]
    if args.workers == 1:
        uvicorn.Server(config).run(sockets=[sock])
    else:
        Multiprocess(config, sockets=[sock]).run()


if __name__ == "__main__":
    main()
