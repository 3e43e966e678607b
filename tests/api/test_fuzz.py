"""Property-based fuzzing of the open API against its own OpenAPI document.

Schemathesis generates requests for every operation in /api/v1/openapi.json: inputs
that fit the document (positive), inputs that break it (negative) and its
deterministic coverage cases (boundary values, missing or wrongly typed fields,
unexpected methods). Each is signed as a distributor would sign it and sent over real
HTTP to the live server. No answer may be a 5xx, and every answer must match the
document: a declared status code, JSON, a body of the declared schema; negative
inputs must be refused. The signing headers themselves are fuzzed separately.

Not checked: schemathesis' `positive_data_acceptance` (every schema-valid request
gets a 2xx/404/409). A few business rules are not in the document, and the service
answers 400 for them: `account` on a card SKU (or none on a direct one), an
`out_trade_no` with a character `str.isprintable` refuses beyond the control
characters the document excludes (e.g. U+2028), a dispute `reason` of only spaces.
"""

import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import unquote_to_bytes

import pytest
import requests
import schemathesis
from django.utils.encoding import escape_uri_path, iri_to_uri, repercent_broken_unicode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from kameng.agents import services as agents
from kameng.api.v1 import api
from kameng.client import (
    HEADER_KEY,
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    signed_headers,
)
from tests import factories

# Hypothesis examples per operation, for each of the two generation modes.
EXAMPLES = 40

HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

OPERATIONS = [
    f"{method.upper()} {path}"
    for path, methods in api.get_openapi_schema()["paths"].items()
    for method in methods
]


def as_django_sees(path_url: str) -> str:
    """`request.get_full_path()` for a request sent to `path_url`: what the signature
    is checked against. The path is decoded and re-escaped, so a percent-escape of a
    character Django leaves as is (`%2C`, `%27`, `%2A`) no longer matches the bytes
    sent; signing those verbatim gets a 401 before the input is looked at."""
    path, _, query = path_url.partition("?")
    path = repercent_broken_unicode(unquote_to_bytes(path)).decode()
    return escape_uri_path(path) + (f"?{iri_to_uri(query)}" if query else "")


class Signed(requests.auth.AuthBase):
    """Signs each request as it finally goes out (after schemathesis has built it)."""

    def __init__(self, app_key: str, secret: str) -> None:
        self.app_key = app_key
        self.secret = secret

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode()
        assert isinstance(body, bytes), f"cannot sign a {type(body).__name__} body"
        path = as_django_sees(r.path_url)
        r.headers.update(signed_headers(self.app_key, self.secret, r.method or "", path, body))
        return r


# Characters that often break storage or parsing: NUL (PostgreSQL text refuses it)
# half the time, else another control, a line separator, a BOM, a non-character.
ODD_CHARACTERS = st.just("\x00") | st.sampled_from("\x01\x1b\x7f\x85\u2028\ufeff\U0010ffff")


@dataclass
class Known:
    """Real values mixed into schema-valid inputs, so that they get past "not found":
    the SKU on sale, existing orders (one of them another agent's) and out_trade_no
    values in use. An order number in `fresh` is replaced, when sent, by a new
    delivered order: confirm and dispute change an order once."""

    values: dict[str, st.SearchStrategy]
    fresh: dict[str, Callable[[], str]] = field(default_factory=dict)

    def resolve(self, case) -> None:
        order_no = (case.path_parameters or {}).get("order_no")
        if order_no in self.fresh:
            case.path_parameters["order_no"] = self.fresh[order_no]()


@pytest.fixture
def live(live_server, settings):
    settings.KAMENG_API_RATE_LIMIT = (1_000_000, 1)
    # Without it each answer waits ~40 ms: the server writes headers and body apart,
    # Nagle holds the body until the client's delayed ACK.
    live_server.thread.httpd.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return live_server


@pytest.fixture
def fuzz(live, worker, world, shop, rival, settings):
    """The schema as served, a signed session and the known values. The worker sends
    the webhooks that confirm, dispute and resend cause (to a 404: given up at once)."""
    settings.KAMENG_WEBHOOK_RETRY_DELAYS = []
    factories.stock(world.sku, world.supplier, 100)
    agents.top_up(shop.agent, Decimal("20000"))
    callback = f"{live.url}/fuzz-callback"

    trade_nos: list[str] = []

    def order(distributor, **extra) -> str:
        trade_nos.append(f"fz-{uuid.uuid4().hex[:12]}")
        placed = distributor.buy(world.sku.pk, trade_nos[-1], **extra)
        assert placed.status_code == 201, placed.json()
        return placed.json()["order_no"]

    orders = [order(shop), order(shop, quantity=2), order(shop, callback_url=callback)]
    orders.append(order(rival))
    known = Known(
        values={
            "sku_id": st.just(world.sku.pk),
            "order_no": st.sampled_from(orders) | st.just("FRESH") | st.just("FRESHHOOKED"),
            "out_trade_no": st.sampled_from(trade_nos),
        },
        fresh={
            "FRESH": lambda: order(shop),
            "FRESHHOOKED": lambda: order(shop, callback_url=callback),
        },
    )
    config = schemathesis.Config.from_dict(
        # The four signing headers come from `Signed`, not from the document.
        {"generation": {"with-security-parameters": False}}
    )
    schema = schemathesis.openapi.from_url(f"{live.url}/api/v1/openapi.json", config=config)
    with requests.Session() as session:
        session.auth = Signed(shop.app_key, shop.secret)
        yield schema, session, known


@st.composite
def positive_cases(draw, operation, known: Known):
    """A schema-valid case, then: most fields that have known values get a real one,
    and half the strings of the query and body an odd character somewhere."""
    case = draw(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    for container in (case.path_parameters, case.query, case.body):
        if not isinstance(container, dict):
            continue
        for name, values in known.values.items():
            if name in container and draw(st.integers(0, 3)):
                container[name] = draw(values)
    for container in (case.query, case.body):
        if not isinstance(container, dict):
            continue
        for name, value in container.items():
            if isinstance(value, str) and draw(st.booleans()):
                at = draw(st.integers(0, len(value)))
                container[name] = value[:at] + draw(ODD_CHARACTERS) + value[at:]
    return case


@pytest.mark.parametrize("label", OPERATIONS)
def test_no_server_error_and_answers_match_the_document(fuzz, label):
    schema, session, known = fuzz
    method, path = label.split(" ", 1)
    operation = schema[path][method]

    def send(case) -> None:
        known.resolve(case)
        response = case.call(session=session)
        case.validate_response(response, checks=CHECKS)

    strategies = [positive_cases(operation, known)]
    if list(operation.iter_parameters()) or list(operation.body):  # anything to break
        strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    for strategy in strategies:
        HYPOTHESIS(given(case=strategy)(send))()

    coverage = schema.iter_coverage_cases(
        operation,
        generation_modes=list(GenerationMode),
        generation_config=schema.config.generation_for(operation=operation),
    )
    for case in coverage:
        send(case)


SIGNING_HEADERS = [HEADER_KEY, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE]
# What a header value can carry (the server reads it as Latin-1).
LATIN_1 = st.characters(codec="latin-1", exclude_characters="\r\n")


def test_any_signing_header_is_refused_with_a_401(live, shop):
    """One of the four headers forged, the others right (so each check is reached):
    anything, a numeral (digits, ², ½), or the real value with one character added.
    The answer is a JSON 401, never a server error."""
    url = f"{live.url}/api/v1/balance"

    with requests.Session() as session:

        @settings(HYPOTHESIS, max_examples=5 * EXAMPLES)  # about 10 ms each
        @given(
            header=st.sampled_from(SIGNING_HEADERS),
            value=st.none()
            | st.text(LATIN_1, max_size=80)
            | st.text(st.characters(codec="latin-1", categories=["N"]), min_size=1, max_size=14),
            at=st.integers(0, 64),
            added=ODD_CHARACTERS.filter(lambda c: c <= "\xff") | LATIN_1,
        )
        def send(header: str, value: str | None, at: int, added: str) -> None:
            sent = signed_headers(shop.app_key, shop.secret, "GET", "/api/v1/balance")
            real = sent[header]
            if value is None:  # the real value, one character added
                value = real[:at] + added + real[at:]
            sent[header] = value.strip()  # requests refuses leading whitespace
            response = session.get(url, headers=sent)
            expected = 200 if sent[header] == real else 401
            assert response.status_code == expected, (sent, response.status_code, response.text)
            assert response.json(), response.text

        send()
