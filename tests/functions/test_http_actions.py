"""HTTP actions run in the runner, with neutral requests and responses."""

from __future__ import annotations

import pytest
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from convexlite import App, Backend, ConvexError
from convexlite.auth.identity import Caller
from convexlite.functions.runner import FunctionError
from convexlite.values.http import HttpRequest

app = App()
ran_in_background: list[str] = []


@app.query(name="notes:count")
def count(ctx, args):
    return 3


@app.http_action(path="/echo", method="POST")
async def echo(ctx, request: Request) -> Response:
    print("echoing")
    body = await request.body()
    response = JSONResponse(
        {
            "url": str(request.url),
            "path": request.url.path,
            "query": request.url.query,
            "body": body.decode(),
            "tags": request.headers.getlist("x-tag"),
            "who": (ctx.auth.get_user_identity() or {}).get("subject"),
            "count": await ctx.run_query("notes:count"),
        },
        status_code=201,
    )
    response.set_cookie("a", "1")
    response.set_cookie("b", "2")
    return response


@app.http_action(path_prefix="/blocking/", method="GET")
def blocking(ctx, request: Request) -> Response:
    return PlainTextResponse(f"{request.url.path} {ctx.run_query('notes:count'):.0f}")


@app.http_action(path="/stream", method="GET")
async def stream(ctx, request: Request) -> Response:
    async def chunks():
        yield b"one,"
        yield b"two"

    return StreamingResponse(chunks(), media_type="text/plain")


@app.http_action(path="/background", method="GET")
async def background(ctx, request: Request) -> Response:
    return PlainTextResponse("done", background=BackgroundTask(ran_in_background.append, "x"))


@app.http_action(path="/not-a-response", method="GET")
def not_a_response(ctx, request: Request) -> Response:
    print("about to fail")
    return {"oops": True}  # type: ignore[return-value]


@app.http_action(path="/convex-error", method="GET")
async def convex_error(ctx, request: Request) -> Response:
    raise ConvexError({"code": 7})


def get(path: str, method: str = "GET", body: bytes = b"", headers=()) -> HttpRequest:
    return HttpRequest(method, f"https://site.example{path}", path.split("?")[0], headers, body)


@pytest.fixture
async def backend():
    async with Backend(app) as opened:
        yield opened


async def test_a_request_reaches_the_handler_as_starlette_and_comes_back_neutral(backend):
    request = get(
        "/echo?x=1",
        "POST",
        b"hi",
        (("host", "site.example"), ("x-tag", "a"), ("x-tag", "b")),
    )
    response = await backend.run_http_action(request, Caller(identity={"subject": "u1"}))
    assert response.status == 201
    assert response.body == (
        b'{"url":"https://site.example/echo?x=1","path":"/echo","query":"x=1","body":"hi",'
        b'"tags":["a","b"],"who":"u1","count":3.0}'
    )
    cookies = [value for name, value in response.headers if name == "set-cookie"]
    assert [cookie.split(";")[0] for cookie in cookies] == ["a=1", "b=2"]


async def test_a_blocking_handler_runs_off_the_loop_and_can_call_functions(backend):
    response = await backend.run_http_action(get("/blocking/a/b"))
    assert (response.status, response.body) == (200, b"/blocking/a/b 3")
    head = await backend.run_http_action(get("/blocking/x", "HEAD"))
    assert head.status == 200


async def test_streamed_and_background_responses(backend):
    streamed = await backend.run_http_action(get("/stream"))
    assert b"".join([chunk async for chunk in streamed.body]) == b"one,two"
    played = await backend.run_http_action(get("/background"))
    assert (played.status, played.body) == (200, b"done")
    assert ran_in_background == ["x"]


async def test_the_runner_gives_the_404s():
    async with Backend(App()) as empty:
        response = await empty.run_http_action(get("/anything"))
    assert (response.status, response.body) == (
        404,
        b"This Convex deployment does not have HTTP actions enabled.",
    )


async def test_no_matching_route(backend):
    response = await backend.run_http_action(get("/echo", "GET"))
    assert (response.status, response.body) == (404, b"No matching routes found")


async def test_failures_are_raised_with_their_log_lines(backend):
    with pytest.raises(FunctionError) as failed:
        await backend.run_http_action(get("/not-a-response"))
    assert failed.value.message == (
        "Uncaught TypeError: GET /not-a-response returned dict, not a Response"
    )
    assert failed.value.log_lines == ["[LOG] 'about to fail'"]
    with pytest.raises(ConvexError) as convex:
        await backend.run_http_action(get("/convex-error"))
    assert convex.value.data == {"code": 7.0}
