"""The webhook HTTP API and dashboard: thin routes over the StatusTracker's current snapshot.

Every answer comes from immutable snapshots the trader's thread published, never from the live
State. Hot answers (/status, /metadata, /portfolio, /state) are bytes encoded once per snapshot.
"""

from __future__ import annotations

import threading
import time
from importlib.resources import files
from typing import Literal

import swagger_ui_bundle
from fastapi import FastAPI, Query, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from trade_executor.secrets import mask
from trade_executor.webhook import models
from trade_executor.webhook.auth import OPEN_PATHS, BasicAuthMiddleware
from trade_executor.webhook.charts import FORMATS, NoChartData, render_visualisation
from trade_executor.webhook.config import WebhookConfig
from trade_executor.webhook.control import add_control_routes
from trade_executor.webhook.dashboard import DASHBOARD_HTML
from trade_executor.webhook.logs import DEFAULT_CAPACITY, LogBuffer
from trade_executor.webhook.prometheus import CONTENT_TYPE, render_metrics
from trade_executor.webhook.snapshot import encode
from trade_executor.webhook.tracker import StateDocument, StatusTracker

JSON = "application/json"
JSON_BYTES = JSON.encode()
NO_STORE = {"cache-control": "no-store"}
PING = b'{"ping":"pong"}'
ANSWER, REFUSE, PASS_ON = "answer", "refuse", "pass on"  # FastPaths' verdicts


def accepts_gzip(request: Request) -> bool:
    for item in request.headers.get("accept-encoding", "").split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def unavailable(detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=503, headers={"retry-after": "5", **NO_STORE})


class StaticAsset:
    """A file from an installed package, read and compressed once (the dashboard works offline)."""

    def __init__(self, package: str, path: str, media_type: str):
        self.package, self.path, self.media_type = package, path, media_type
        self._document: StateDocument | None = None
        self._lock = threading.Lock()

    def document(self) -> StateDocument:
        with self._lock:
            if self._document is None:
                self._document = StateDocument(files(self.package).joinpath(self.path).read_bytes(), time.time(), mask_secrets=False)
            return self._document


class ChartCache:
    """One rendering per format for as long as the portfolio and prices stay the same objects."""

    def __init__(self):
        self._lock = threading.Lock()
        self._key: tuple = ()
        self._charts: dict[str, bytes] = {}

    def get(self, snapshot, fmt: str) -> bytes:
        key = (id(snapshot.portfolio), id(snapshot.prices))
        with self._lock:
            if key != self._key:
                self._key, self._charts = key, {}
            if fmt not in self._charts:
                self._charts[fmt] = render_visualisation(snapshot, fmt)
            return self._charts[fmt]


def document_response(document: StateDocument, request: Request, media_type: str, cache: dict) -> Response:
    if accepts_gzip(request):
        return Response(document.gzipped(), media_type=media_type, headers={"content-encoding": "gzip", "vary": "Accept-Encoding", **cache})
    return Response(document.body(), media_type=media_type, headers={"vary": "Accept-Encoding", **cache})


class FastPaths:
    """Answers GET /ping, /status, /metadata, /portfolio (cached bytes of the snapshot) and /metrics (cached but for the data age).

    Plain ASGI outside everything else, FastAPI's own middleware included: measured in-process, the
    full stack costs ~9 us per request and this ~2 us. That matters beyond requests per second: the
    HTTP thread shares the GIL with the CPU-bound trader, so every microsecond it spends on a
    request is one the trader's cycle waits. It checks Basic auth itself (the same check) and
    leaves anything else to the app behind it: other paths and methods, and CORS requests (with
    an Origin header), which CORSMiddleware answers. The FastAPI routes define and document the same answers.
    """

    BODIES = {  # path: (body from a snapshot, content type)
        "/ping": (lambda snapshot: PING, JSON_BYTES),
        "/status": (lambda snapshot: snapshot.status_json, JSON_BYTES),
        "/metadata": (lambda snapshot: snapshot.metadata_json, JSON_BYTES),
        "/portfolio": (lambda snapshot: snapshot.portfolio.json, JSON_BYTES),
        "/metrics": (lambda snapshot: render_metrics(snapshot, time.time()).encode(), CONTENT_TYPE.encode()),
    }

    def __init__(self, app, tracker: StatusTracker, *, auth: BasicAuthMiddleware | None = None, cors: bool = False):
        self.app = app
        self.tracker = tracker
        self.auth = auth
        self.cors = cors

    async def __call__(self, scope, receive, send):
        hot = self.BODIES.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "GET" else None
        verdict = self._verdict(scope) if hot is not None else PASS_ON
        if verdict is PASS_ON:
            await self.app(scope, receive, send)
            return
        if verdict is REFUSE:
            await self.auth.refuse(send)
            return
        body_of, content_type = hot
        body = body_of(self.tracker.snapshot)
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _verdict(self, scope) -> str:
        """ANSWER, REFUSE (401, exactly as BasicAuthMiddleware would) or PASS_ON to the app (CORS requests)."""
        needs_auth = self.auth is not None and scope["path"] not in OPEN_PATHS
        if not (needs_auth or self.cors):
            return ANSWER
        authorization = None
        for name, value in scope["headers"]:
            if name == b"origin" and self.cors:
                return PASS_ON
            if name == b"authorization" and authorization is None:
                authorization = value
        if not needs_auth:
            return ANSWER
        return ANSWER if authorization is not None and self.auth.check(authorization) else REFUSE


class Routes:
    """The endpoints, as methods over one tracker; each is a few lines over a snapshot."""

    def __init__(self, tracker: StatusTracker, log_buffer: LogBuffer | None, strategy_source: str | None):
        self.tracker = tracker
        self.log_buffer = log_buffer
        self.source = mask(strategy_source) if strategy_source is not None else None
        self.charts = ChartCache()
        self.plotly = StaticAsset("plotly", "package_data/plotly.min.js", "application/javascript")

    async def dashboard(self) -> HTMLResponse:
        return HTMLResponse(DASHBOARD_HTML, headers=NO_STORE)

    async def plotly_js(self, request: Request) -> Response:
        document = self.plotly.document()
        if not document.ready:
            await run_in_threadpool(document.gzipped)
        return document_response(document, request, self.plotly.media_type, {"cache-control": "public, max-age=86400"})

    async def ping(self) -> Response:
        return Response(PING, media_type=JSON, headers=NO_STORE)

    async def status(self) -> Response:
        return Response(self.tracker.snapshot.status_json, media_type=JSON, headers=NO_STORE)

    async def metadata(self) -> Response:
        return Response(self.tracker.snapshot.metadata_json, media_type=JSON, headers=NO_STORE)

    async def portfolio(self) -> Response:
        return Response(self.tracker.snapshot.portfolio.json, media_type=JSON, headers=NO_STORE)

    async def state(self, request: Request) -> Response:
        document = self.tracker.state_document
        if document is None:
            return unavailable("No state saved yet: the executor saves it when it starts.")
        if not document.ready:
            await run_in_threadpool(document.gzipped)  # the first request pays for masking and compressing, off the event loop
        return document_response(document, request, JSON, NO_STORE)

    async def logs(self, limit: int = Query(DEFAULT_CAPACITY, ge=1, le=100_000, description="Newest records to return.")) -> Response:
        records = self.log_buffer.records(limit) if self.log_buffer is not None else []
        return Response(encode(records), media_type=JSON, headers=NO_STORE)

    async def strategy_source(self) -> Response:
        if self.source is None:
            return unavailable("The strategy source is not known to this server.")
        return Response(self.source, media_type="text/x-python; charset=utf-8")

    def visualisation(self, format: Literal["svg", "png"] = Query("svg", description="Image format.")) -> Response:  # noqa: A002 - the documented parameter name
        """Drawn on a worker thread (not the event loop), once per snapshot and format."""
        try:
            image = self.charts.get(self.tracker.snapshot, format)
        except NoChartData as e:
            return unavailable(str(e))
        return Response(image, media_type=FORMATS[format], headers=NO_STORE)

    async def metrics(self) -> Response:
        return Response(render_metrics(self.tracker.snapshot, time.time()), media_type=CONTENT_TYPE, headers=NO_STORE)


async def api_docs() -> HTMLResponse:
    """Swagger UI with its assets from this server; relative URLs keep it working behind a path prefix."""
    return get_swagger_ui_html(
        openapi_url="openapi.json", title="trade-executor webhook",
        swagger_js_url="static/swagger/swagger-ui-bundle.js", swagger_css_url="static/swagger/swagger-ui.css",
        swagger_favicon_url="static/swagger/favicon-32x32.png",
    )


def create_app(
    tracker: StatusTracker,
    config: WebhookConfig | None = None,
    *,
    log_buffer: LogBuffer | None = None,
    strategy_source: str | None = None,
    control=None,
) -> FastPaths:
    """The API over ``tracker`` (an ASGI app: FastPaths in front of FastAPI, as ``.app``); ``config`` sets authentication and CORS.

    ``control``: the trader's ControlQueue (runner/control.py), for the POST /control/... endpoints.
    """
    config = config or WebhookConfig()
    app = FastAPI(
        docs_url=None,  # served below from the installed swagger-ui-bundle, so /docs works without internet
        title="trade-executor webhook",
        description="Status, state, logs and charts of a live trade-executor. Every path but /ping needs HTTP Basic auth when HTTP_USERNAME is set.",
        version=tracker.snapshot.version,
    )
    routes = Routes(tracker, log_buffer, strategy_source)
    problem = {503: {"model": models.Problem}}
    add = app.add_api_route
    add("/", routes.dashboard, response_class=HTMLResponse, include_in_schema=False)
    add("/static/plotly.min.js", routes.plotly_js, include_in_schema=False)
    add("/docs", api_docs, response_class=HTMLResponse, include_in_schema=False)
    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger")
    add("/ping", routes.ping, response_model=models.Pong, summary="Liveness check (never needs authentication)")
    add("/status", routes.status, response_model=models.Status, summary="Is the executor running, its cycles, gas and any crash")
    add("/metadata", routes.metadata, response_model=models.Metadata, summary="Who this executor is, with key statistics")
    add("/portfolio", routes.portfolio, response_model=models.Portfolio, summary="Positions, recent trades and the equity curve (the dashboard's data)")
    add("/state", routes.state, summary="The state file as last saved (gzip when the client accepts it)", responses=problem)
    add("/logs", routes.logs, response_model=list[models.LogRecord], summary="Recent log records, oldest first, secrets masked")
    add("/source", routes.strategy_source, response_class=Response, summary="The strategy module's source code", responses={200: {"content": {"text/x-python": {}}}, **problem})
    add("/visualisation", routes.visualisation, response_class=Response, summary="Prices, indicators and trades as SVG or PNG", responses=problem)
    add("/metrics", routes.metrics, response_class=Response, summary="Prometheus metrics", responses={200: {"content": {"text/plain": {}}}})
    add_control_routes(app, tracker, control, config)
    auth = None
    if config.auth_enabled:
        app.add_middleware(BasicAuthMiddleware, username=config.username, password=config.password)
        auth = BasicAuthMiddleware(app, username=config.username, password=config.password)  # FastPaths' copy of the check
    if config.cors_origins:  # outermost, so preflight requests (which carry no credentials) are answered
        app.add_middleware(
            CORSMiddleware, allow_origins=list(config.cors_origins), allow_methods=["GET"], allow_headers=["Authorization"],
            allow_credentials=config.auth_enabled and "*" not in config.cors_origins,
        )
    return FastPaths(app, tracker, auth=auth, cors=bool(config.cors_origins))
