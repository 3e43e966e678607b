"""Every console page asks for a log-in (walked from kameng.console.urls, so new pages
are covered as they are added), another role's pages are 404, and the scope helpers
show each principal only its own objects: another's by a guessed id is a 404."""

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, reverse
from django.views import View

from kameng.agents.credentials import create_api_key
from kameng.console import nav, roles, scope
from kameng.console.access import RoleRequiredMixin, role_required
from kameng.console.urls import urlpatterns
from kameng.orders import services as orders
from tests import factories
from tests.console.conftest import log_in, path_of

pytestmark = pytest.mark.django_db

# A sample value per path converter (a converter of its own gets "x").
SAMPLE_ARGS = {"IntConverter": 987654, "UUIDConverter": uuid.UUID(int=7), "PathConverter": "x/y"}


def _walk(patterns, namespace="console"):
    """(name, view, kwargs) of every console URL, each converter given a sample."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, f"{namespace}:{entry.namespace}")
        elif isinstance(entry, URLPattern):
            assert entry.name, f"every console URL is named: {entry.pattern}"
            converters = getattr(entry.pattern, "converters", {})
            kwargs = {
                name: SAMPLE_ARGS.get(type(conv).__name__, "x") for name, conv in converters.items()
            }
            if not converters and getattr(entry.pattern, "regex", None) is not None:
                kwargs = {key: "x" for key in entry.pattern.regex.groupindex}
            yield f"{namespace}:{entry.name}", entry.callback, kwargs


PAGES = list(_walk(urlpatterns))
PUBLIC = {name for name, view, _ in PAGES if getattr(view, "console_public", False)}
GUARDED = [(name, kwargs) for name, _, kwargs in PAGES if name not in PUBLIC]


def test_the_walk_finds_the_pages_and_only_the_log_in_pages_are_public():
    assert {"console:home", "console:d:home", "console:s:home", "console:o:home"} <= {
        name for name, _ in GUARDED
    }
    assert {
        "console:login",
        "console:login_code",
        "console:logout",
        "console:password_reset",
        "console:password_reset_sent",
        "console:password_reset_confirm",
        "console:password_reset_complete",
        "console:unknown",
        "console:join",
    } == PUBLIC


@pytest.mark.parametrize(("name", "kwargs"), GUARDED, ids=[name for name, _ in GUARDED])
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_the_login_page(client, name, kwargs, method):
    url = reverse(name, kwargs=kwargs)
    response = getattr(client, method)(url)
    assert response.status_code == 302, url
    assert response["Location"].startswith("/console/login/?next=")
    assert path_of(response) == "/console/login/"


def _role_pages(namespace: str) -> list[str]:
    prefix = f"console:{namespace}:"
    return [reverse(name, kwargs=kwargs) for name, kwargs in GUARDED if name.startswith(prefix)]


@pytest.mark.parametrize(
    ("who", "forbidden"),
    [
        ("distributor", ("s", "o")),
        ("supplier_person", ("d", "o")),
        ("applicant", ("d", "o")),
        ("operator", ("d", "s")),
        ("nobody", ("d", "s", "o")),
    ],
)
def test_another_roles_pages_are_404(client, request, who, forbidden):
    log_in(client, request.getfixturevalue(who))
    urls = [url for namespace in forbidden for url in _role_pages(namespace)]
    assert urls
    for url in urls:
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 404, url
            assert "页面不存在" in response.content.decode()


def test_an_unknown_console_path_is_the_consoles_404(client, distributor):
    assert client.get("/console/nothing-here/").status_code == 404
    log_in(client, distributor)
    response = client.get("/console/d/nothing-here/")
    assert response.status_code == 404 and "返回后台首页" in response.content.decode()


def test_an_applicant_is_sent_home_from_pages_that_need_an_approved_supplier(applicant):
    request = RequestFactory().get("/console/s/batches/")
    request.user = applicant.user
    request.session = {}

    @role_required(roles.SUPPLIER)
    def batches(request):
        raise AssertionError("an applicant has no batches")

    response = batches(request)
    assert response.status_code == 302 and response["Location"] == "/console/s/"


def _request(person, path="/console/x/"):
    request = RequestFactory().get(path)
    request.user = person.user
    request.session = {}
    return request


def test_the_decorator_attaches_the_principal(distributor, supplier_person, operator, world):
    seen = {}

    def remember(request):
        seen[request.console.role] = request.principal
        return HttpResponse("ok")

    role_required(roles.DISTRIBUTOR)(remember)(_request(distributor))
    role_required(roles.SUPPLIER)(remember)(_request(supplier_person))
    role_required(roles.OPERATOR)(remember)(_request(operator))
    assert seen == {
        "distributor": world.a2,
        "supplier": world.supplier,
        "operator": operator.user,
    }


def test_the_mixin_guards_class_based_views(distributor, operator, world):
    class Orders(RoleRequiredMixin, View):
        role = roles.DISTRIBUTOR

        def get(self, request):
            return HttpResponse(request.principal.user.username)

    view = Orders.as_view()
    assert view(_request(distributor)).content == b"agent2"
    assert view(_request(operator)).status_code == 404
    anonymous = RequestFactory().get("/console/d/orders/")
    anonymous.user = AnonymousUser()
    assert view(anonymous)["Location"] == "/console/login/?next=/console/d/orders/"


def test_a_guessed_id_inside_a_page_is_the_consoles_404(distributor, world):
    theirs = orders.place_order(agent=world.a3, sku_id=world.sku.pk, quantity=1, out_trade_no="g1")

    @role_required(roles.DISTRIBUTOR)
    def order_page(request, order_no):
        order = scope.one(scope.agent_orders(request.principal), order_no=order_no)
        return HttpResponse(order.order_no)

    response = order_page(_request(distributor), theirs.order.order_no)
    assert response.status_code == 404 and theirs.order.order_no not in response.content.decode()
    mine = orders.place_order(agent=world.a2, sku_id=world.sku.pk, quantity=1, out_trade_no="g2")
    shown = order_page(_request(distributor), mine.order.order_no).content.decode()
    assert shown == mine.order.order_no


# --- scope ----------------------------------------------------------------------------


def test_subtree_is_the_agent_and_those_below_never_a_sibling_prefix(world):
    factories.levels()
    # Agents whose ids start with the same digits as agent1's must not count as below it.
    others = [factories.agent() for _ in range(12)]
    below_a1 = set(scope.subtree(world.a1))
    assert below_a1 == {world.a1, world.a2, world.a3}
    assert set(scope.subtree(world.a2)) == {world.a2, world.a3}
    assert set(scope.subtree(world.a2, include_self=False)) == {world.a3}
    assert not below_a1 & set(others)
    with pytest.raises(Http404):
        scope.one(scope.subtree(world.a2), pk=world.a1.pk)
    with pytest.raises(Http404):
        scope.one(scope.subtree(world.a2), pk="not-a-number")


def test_agent_scopes_hold_only_the_agents_own_objects(world):
    mine = create_api_key(world.a2).key
    theirs = create_api_key(world.a3).key
    assert list(scope.agent_keys(world.a2)) == [mine]
    with pytest.raises(Http404):
        scope.one(scope.agent_keys(world.a2), pk=theirs.pk)
    order = orders.place_order(agent=world.a3, sku_id=world.sku.pk, quantity=1, out_trade_no="s1")
    assert list(scope.agent_orders(world.a3)) == [order.order]
    assert not scope.agent_orders(world.a2).exists()
    lines = scope.agent_journal_lines(world.a3)
    assert lines.exists() and {line.account_id for line in lines} == {world.a3.wallet_id}


def test_supplier_scopes_hold_only_the_suppliers_goods(world):
    other = factories.supplier()
    sku = factories.sku()
    factories.stock(sku, other, 3)
    order = orders.place_order(agent=world.a3, sku_id=world.sku.pk, quantity=2, out_trade_no="s2")
    assert list(scope.supplier_orders(world.supplier)) == [order.order]
    assert not scope.supplier_orders(other).exists()
    assert {b.supplier_id for b in scope.supplier_batches(other)} == {other.pk}
    assert scope.supplier_cards(other).count() == 3
    assert "secret_encrypted" in scope.supplier_cards(other).query.deferred_loading[0]
    with pytest.raises(Http404):
        theirs = scope.supplier_batches(world.supplier).first()
        scope.one(scope.supplier_batches(other), pk=theirs.pk)


def test_the_menu_lists_the_pages_that_exist(distributor, operator):
    frame = nav.Frame(operator.user, roles.OPERATOR, (roles.OPERATOR,), "/console/o/otp/")
    links = {link.label: link for link in frame.nav}
    assert links["概览"].url == "/console/o/" and not links["概览"].current
    assert links["两步验证"].current
    # Every item names a console page; those not built yet are left out, not broken.
    for items in nav.NAV.values():
        for item in items:
            assert item.url_name.startswith("console:")


# --- every page with an id, given another principal's real object --------------------

# Pages whose id names no principal's object: the catalogue is shared, every distributor
# prices every SKU (its bounds are tested in tests/console/distributor/).
NOT_OWNED = {"console:d:price"}


def _others_objects(world) -> dict[str, tuple[dict, object]]:
    """URL name → (kwargs naming another principal's object, that object). For the
    distributor (agent2) they are its parent's (agent1: above it, never its own); for
    the supplier, another supplier's or another applicant's."""
    from kameng.agents import invites
    from kameng.stock.models import CardBatch
    from kameng.storefront import services as storefront

    order = orders.place_order(
        agent=world.a1, sku_id=world.sku.pk, quantity=1, out_trade_no="theirs"
    ).order
    invite = invites.create_invite(world.a1)
    coupon = storefront.create_coupon(world.a1, code="THEIRS", kind="fixed", value="1")
    tier = storefront.set_price_tier(world.a1, world.sku, min_quantity=3, unit_price="99")
    key = create_api_key(world.a1).key

    other = factories.supplier()
    their_sku = factories.sku("20.00")
    factories.stock(their_sku, other, 2, cost="15.00")
    batch = CardBatch.objects.get(supplier=other)
    complaint = orders.place_order(
        agent=world.a3, sku_id=their_sku.pk, quantity=1, out_trade_no="their-goods"
    ).order
    complaint = orders.open_dispute(complaint, "坏卡")
    document = factories.application(applicant=None).documents.get()
    return {
        "console:d:order": ({"order_no": order.order_no}, order),
        "console:d:order_confirm": ({"order_no": order.order_no}, order),
        "console:d:order_dispute": ({"order_no": order.order_no}, order),
        "console:d:order_resend": ({"order_no": order.order_no}, order),
        "console:d:invite_revoke": ({"pk": invite.pk}, invite),
        "console:d:coupon_disable": ({"pk": coupon.pk}, coupon),
        "console:d:tier_remove": ({"pk": tier.pk}, tier),
        "console:d:api_key_revoke": ({"pk": key.pk}, key),
        "console:s:application_document": ({"pk": document.pk}, document),
        "console:s:batch": ({"pk": batch.pk}, batch),
        "console:s:complaint": ({"order_no": complaint.order_no}, complaint),
    }


def _snapshot(obj) -> dict:
    from django.forms.models import model_to_dict

    obj = type(obj).objects.get(pk=obj.pk)  # still there
    return {key: str(value) for key, value in model_to_dict(obj).items()}


@pytest.mark.parametrize(("who", "namespace"), [("distributor", "d"), ("supplier_person", "s")])
def test_every_page_with_an_id_is_404_for_another_principals_object(
    client, request, world, who, namespace
):
    log_in(client, request.getfixturevalue(who))
    theirs = _others_objects(world)
    with_ids = {
        name
        for name, kwargs in GUARDED
        if name.startswith(f"console:{namespace}:") and kwargs and name not in NOT_OWNED
    }
    assert with_ids and with_ids == {n for n in theirs if n.startswith(f"console:{namespace}:")}
    for name in sorted(with_ids):
        kwargs, obj = theirs[name]
        before = _snapshot(obj)
        url = reverse(name, kwargs=kwargs)
        shown = client.get(url)
        assert shown.status_code == 404 and "页面不存在" in shown.content.decode(), url
        # A page that takes no POST says so (405) before it looks up any id.
        posted = client.post(url, {"reason": "x", "text": "x", "sku": world.sku.pk})
        assert posted.status_code in (404, 405), url
        if posted.status_code == 405:
            unknown = {key: SAMPLE_ARGS["IntConverter"] for key in kwargs}
            assert client.post(reverse(name, kwargs=unknown)).status_code == 405, url
        assert _snapshot(obj) == before, url
