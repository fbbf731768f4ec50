"""FastAPI scoring service: /predict, /health, /ready, /metadata and Prometheus /metrics.

Run it with `make serve` (server.py: workers, timeouts), or with plain uvicorn:
    uvicorn {{ cookiecutter.package_name }}.serve.app:app
Settings come from the environment (see settings.py); the model from SERVE_MODEL_DIR. The
body is read and checked by body.py, answers are counted and logged by observe.py, and
scored rows can be logged for the drift monitor and the impact report (SERVE_PREDICTION_LOG,
off by default; see prediction_log.py), each with the variant the router named in X-Variant.
"""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata as package_metadata
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from prometheus_client import Histogram
from starlette.requests import ClientDisconnect

from {{ cookiecutter.package_name }}.core.assignment import (
    SHADOW_HEADER,
    VARIANT_HEADER,
    variant_name,
)
from {{ cookiecutter.package_name }}.core.contract import ID, TARGET
from {{ cookiecutter.package_name }}.core.records import OnnxServing, SklearnServing
from {{ cookiecutter.package_name }}.scoring.runtime import (
    ServingModel,
    ServingModelError,
    load_serving,
)
from {{ cookiecutter.package_name }}.serve import body
from {{ cookiecutter.package_name }}.serve.logs import LOG, configure_logging
from {{ cookiecutter.package_name }}.serve.observe import RequestObserver, metrics_route
from {{ cookiecutter.package_name }}.serve.prediction_log import PredictionLog, Served
from {{ cookiecutter.package_name }}.serve.schemas import (
    ID_FIELD,
    Liveness,
    PredictionResponse,
    Readiness,
    Record,
    columns_of,
    predictions_of,
    request_body_schema,
)
from {{ cookiecutter.package_name }}.serve.settings import (
    SETTINGS_STATE,
    ServeSettings,
)

SCORE_NAME, SCORE_HELP, SCORE_BUCKETS = TARGET.task.score_histogram()
PREDICTIONS = Histogram(SCORE_NAME, SCORE_HELP, buckets=SCORE_BUCKETS)  # probability or value
NOT_LOADED = "no model loaded; the service log says why"
# Bodies up to this size (a few records) are scored on the event loop: that takes well under
# a millisecond, less than waking a worker thread. Larger ones, up to a 1,000-row batch, are
# scored in a thread, so /health and other requests are answered meanwhile.
INLINE_BYTES = 4_096
CLIENT_CLOSED = 499  # as nginx logs it: the client went away before the request was read


class Service:
    """The loaded model and what is known about it; `model` is None until ready."""

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.model: ServingModel | None = None
        self.metadata: OnnxServing | SklearnServing | None = None
        self.prediction_log: PredictionLog | None = None

    def start(self) -> None:
        """Load the model (a failure leaves the service unready) and open the prediction log."""
        try:
            self.model, self.metadata = load_serving(self.settings.model_dir)
        except ServingModelError as error:
            LOG.error("model not loaded: %s", error)  # the path stays in the log
        if self.settings.prediction_log:
            self.prediction_log = PredictionLog(
                self.settings.prediction_log,
                self.settings.prediction_log_sample,
                self.settings.prediction_log_max_bytes,
                self.settings.prediction_log_backups,
            )

    def close(self) -> None:
        """Write what the prediction log has queued, then close it (if there is one)."""
        if self.prediction_log:
            self.prediction_log.close()

    def ready(self) -> tuple[ServingModel, OnnxServing | SklearnServing]:
        """The loaded model and its metadata, or a 503 while there is none."""
        if self.model is None or self.metadata is None:
            raise HTTPException(status_code=503, detail=NOT_LOADED)
        return self.model, self.metadata

    def served(
        self, request: Request, metadata: OnnxServing | SklearnServing, started: float
    ) -> Served:
        """Who answers this request: the model version and the router's variant, if named."""
        variant = variant_name(request.headers.get(VARIANT_HEADER))
        shadow = request.headers.get(SHADOW_HEADER) == "1"
        return Served(metadata.version, variant, started, shadow)

    def score(self, model: ServingModel, payload: bytes, served: Served) -> tuple[Response, int]:
        """Decode, validate, predict and queue the rows for the log: CPU work."""
        records = body.parse_records(body.decode(payload), self.settings.max_batch_rows)
        columns = columns_of(records)
        result = model.predict(columns)
        PREDICTIONS.observe(result.typical)
        predictions = predictions_of(records, result.records())
        version = served.model_version
        if self.prediction_log:
            ids = [getattr(record, ID_FIELD) for record in records] if ID else None
            self.prediction_log.record(columns, result, served, ids)
        answer = PredictionResponse(model_version=version, predictions=predictions)
        json = answer.model_dump_json(by_alias=True)  # the id by its column's name
        return Response(json, media_type=body.MEDIA_TYPE), len(records)


async def get_service(request: Request) -> Service:
    """The app's one Service, as a FastAPI dependency."""
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]

health = APIRouter(tags=["health"])
scoring = APIRouter(tags=["model"])


# The light routes are `async def`: they never wait for a thread the scoring work may hold.
@health.get("/health", response_model=Liveness)
async def liveness() -> Liveness:
    """The process answers; says nothing about the model (see /ready)."""
    return Liveness(status="ok")


@health.get("/ready", response_model=Readiness, responses={503: {"description": "No model"}})
async def readiness(service: ServiceDep) -> Readiness:
    """A model is loaded: requests to /predict will be scored."""
    _, metadata = service.ready()
    return Readiness(status="ready", model_version=metadata.version, runtime=metadata.runtime)


@scoring.get("/metadata", responses={503: {"description": "No model"}})
async def model_metadata(service: ServiceDep) -> dict[str, Any]:
    """Model version, runtime, commit, golden-set metrics and the input contract."""
    _, metadata = service.ready()
    return {**metadata.model_dump(mode="json"), "input_schema": Record.model_json_schema()}


@scoring.post(
    "/predict",
    response_model=PredictionResponse,
    responses={
        413: {"description": "Over SERVE_MAX_BODY_BYTES or SERVE_MAX_BATCH_ROWS"},
        415: {"description": "Not application/json"},
        422: {"description": "Malformed JSON, or a record off the contract; `detail` says where"},
        503: {"description": "No model"},
    },
)
async def predict(request: Request, service: ServiceDep) -> Response:
    """Score one record or a list of records."""
    started = time.perf_counter()
    model, metadata = service.ready()
    served = service.served(request, metadata, started)
    body.require_json(request)
    payload = await body.read_body(request, service.settings.max_body_bytes)
    try:
        if len(payload) <= INLINE_BYTES:
            answer, rows = service.score(model, payload, served)
        else:
            answer, rows = await run_in_threadpool(service.score, model, payload, served)
    except (HTTPException, RequestValidationError):
        raise  # the request's fault (4xx), not the model's
    except Exception as error:  # a 5xx: counted against the variant in the impact report
        if service.prediction_log:
            service.prediction_log.record_failure(served, error)
        raise
    request.state.rows = rows
    return answer


async def client_gone(request: Request, error: Exception) -> Response:
    """The client hung up mid-upload (or was timed out): nothing to answer, one log line."""
    return Response(status_code=CLIENT_CLOSED)


def document_request_body(app: FastAPI, max_rows: int) -> None:
    """/predict reads its raw body (to answer 413 before validating); describe it in OpenAPI."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()  # and keeps it in app.openapi_schema
        schema["paths"]["/predict"]["post"]["requestBody"] = {
            "required": True,
            "content": {body.MEDIA_TYPE: {"schema": request_body_schema(max_rows)}},
        }
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: ServeSettings | None = None) -> FastAPI:
    """The scoring app; settings from SERVE_* environment variables unless given."""
    settings = settings or ServeSettings.from_env()
    configure_logging()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        app.state.service.start()
        gc.freeze()  # start-up's objects live on: keep them out of every later collection
        yield {SETTINGS_STATE: settings}  # for server.py's request deadline and header limits
        app.state.service.close()

    about = package_metadata.metadata("{{ cookiecutter.project_slug }}")
    app = FastAPI(
        title=about["Name"],
        description=about["Summary"],
        version=about["Version"],
        lifespan=lifespan,
    )
    app.state.service = Service(settings)
    app.include_router(health)
    app.include_router(scoring)
    across_workers = settings.prometheus_multiproc_dir is not None
    app.add_api_route("/metrics", metrics_route(across_workers), include_in_schema=False)
    app.add_exception_handler(RequestValidationError, body.validation_failed)
    app.add_exception_handler(ClientDisconnect, client_gone)
    app.add_middleware(RequestObserver)
    document_request_body(app, settings.max_batch_rows)
    return app


app = create_app()
