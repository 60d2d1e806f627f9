from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from usm_network.dependencies import SettingsDep
from usm_network.sync import service, signing
from usm_network.sync.repository import PeerRepository, RunRepository
from usm_network.sync.runner import SyncRunner
from usm_network.sync.schemas import FeedPage, PeerCreate, PeerRead, PeerUpdate, SyncRunRead
from usmkit.auth import Principal, get_principal, require_scope
from usmkit.concurrency import etag_for, etag_header
from usmkit.idempotency import IdempotencyDep
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.problems import (
    CONFLICT,
    IF_MATCH_MISSING,
    NOT_FOUND,
    PROBLEM_RESPONSES,
    STALE,
    Forbidden,
    Unauthorized,
    problem_responses,
)
from usmkit.runtime import RuntimeDep, SessionDep

peers_router = APIRouter(
    prefix="/api/v1/network/peers", tags=["peers"], responses=PROBLEM_RESPONSES
)
sync_router = APIRouter(prefix="/api/v1/network/sync", tags=["sync"], responses=PROBLEM_RESPONSES)
ETAG = etag_header("peer")
AdminDep = Annotated[Principal, Depends(require_scope("network:admin"))]
SIGNED_HEADERS = {
    name: {"description": description, "schema": {"type": "string"}}
    for name, description in (
        (signing.NODE_HEADER, "The answering node's id."),
        (signing.TIMESTAMP_HEADER, "Unix seconds when the response was signed."),
        (signing.NONCE_HEADER, "The response's nonce."),
        (signing.SIGNATURE_HEADER, "HMAC-SHA256 (hex) of the response; see the description."),
    )
}


@sync_router.get(
    "/feed",
    response_class=Response,
    responses={
        200: {
            "description": "One signed page of the change feed.",
            "model": FeedPage,
            "headers": SIGNED_HEADERS,
        }
    },
)
async def read_sync_feed(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    cursor: Annotated[
        str, Query(pattern=r"^[0-9]{1,19}$", description="`next_cursor` of the last page.")
    ] = "0",
    limit: Annotated[int, Query(ge=1, le=1000, description="Changes per page.")] = 500,
    x_sync_node: Annotated[str | None, Header(description="The calling node's id.")] = None,
    x_sync_timestamp: Annotated[str | None, Header(description="Unix seconds.")] = None,
    x_sync_nonce: Annotated[str | None, Header(description="Single-use, 16-100 chars.")] = None,
    x_sync_signature: Annotated[str | None, Header(description="HMAC-SHA256, hex.")] = None,
) -> Response:
    """The change feed a peer pulls: shared records after `cursor`, in feed order.

    Holds the latest version of each shared record (knowledge items and member cities'
    public records; never contacts, comments or anything non-public) with its origin node,
    record id and version, and tombstones (`deleted: true`) for withdrawn ones. Records
    whose origin is the calling peer are never sent back to it, and only the record types
    this node shares with that peer are served.

    **Authentication.** Every request must be signed by a registered, enabled peer:
    `X-Sync-Signature` = hex HMAC-SHA256, under the secret shared with that peer, of the
    lines `request`, method, path, the query sorted by key, `X-Sync-Node`,
    `X-Sync-Timestamp`, `X-Sync-Nonce` and the hex SHA-256 of the body. A timestamp more
    than 5 minutes off, a nonce already seen or a wrong signature is 401. The signature is
    what identifies the peer, so it is required even when the call arrives through the
    gateway; an internal token, when present, must also carry `network:sync`
    (`partner_node`): through the gateway, send the key it issued to your node as
    `X-API-Key` (a peer registered with an `api_key` does). The response is signed likewise
    over `response`, status, the request's nonce, the answering node id, its timestamp and
    nonce, and the body hash.
    """
    has_token = bool(request.headers.get("authorization"))
    if has_token and not (await get_principal(request)).has_scope("network:sync"):
        raise Forbidden("This needs the scope 'network:sync'.")
    signed_request = _signed(x_sync_node, x_sync_timestamp, x_sync_nonce, x_sync_signature)
    peer, secret = await service.authenticate_peer(
        session=session,
        signed=signed_request,
        sealing_key=settings.sync_secret_key.get_secret_value(),
        method=request.method,
        path=request.url.path,
        query=request.url.query,
        body=await request.body(),
        max_skew_s=settings.sync_max_clock_skew_s,
    )
    body = await service.read_feed(
        session=session, peer=peer, local_node=settings.node_id, after=int(cursor), limit=limit
    )
    signed_response = signing.sign_response(
        secret=secret,
        node_id=settings.node_id,
        status=200,
        request_nonce=signed_request.nonce,
        body=body,
    )
    return Response(body, media_type="application/json", headers=signed_response.headers())


def _signed(
    node: str | None, timestamp: str | None, nonce: str | None, signature: str | None
) -> signing.Signed:
    if not (node and timestamp and nonce and signature):
        raise Unauthorized("Sync requests must be signed by a registered peer.")
    return signing.Signed(node_id=node, timestamp=timestamp, nonce=nonce, signature=signature)


@sync_router.get("/runs", response_model=Page[SyncRunRead])
async def list_sync_runs(
    session: SessionDep,
    page: PageParamsDep,
    principal: AdminDep,
    peer: Annotated[
        str | None, Query(max_length=100, description="Only runs from this peer.")
    ] = None,
) -> Page[SyncRunRead]:
    """Sync runs, newest first: counts, errors and duration of each (`network:admin`)."""
    rows = await RunRepository(session).list(page, peer_node_id=peer)
    items, next_cursor = split_page(
        list(rows), page, lambda run: [run.started_at.isoformat(), str(run.id)]
    )
    return Page[SyncRunRead](
        items=[SyncRunRead.model_validate(run) for run in items], next_cursor=next_cursor
    )


@peers_router.get("", response_model=Page[PeerRead])
async def list_peers(
    session: SessionDep, page: PageParamsDep, principal: AdminDep
) -> Page[PeerRead]:
    """Peer deployments this node syncs with, by node id (`network:admin`)."""
    rows = await PeerRepository(session).list(page)
    items, next_cursor = split_page(list(rows), page, lambda peer: [peer.node_id])
    return Page[PeerRead](
        items=[PeerRead.model_validate(peer) for peer in items], next_cursor=next_cursor
    )


@peers_router.post(
    "",
    response_model=PeerRead,
    status_code=status.HTTP_201_CREATED,
    responses={201: {"headers": ETAG}, **problem_responses(CONFLICT)},
)
async def register_peer(
    peer_in: PeerCreate,
    session: SessionDep,
    response: Response,
    settings: SettingsDep,
    idempotency: IdempotencyDep,
    principal: AdminDep,
) -> PeerRead:
    """Register a peer deployment with the secret shared with it (`network:admin`).

    The secret is stored sealed and never returned. Both nodes register each other with
    the same secret; `shares` is what this node serves the peer, `accepts` what it takes.
    When `base_url` is the peer's gateway, give the `api_key` its operators issued to this
    node (a `partner_node` client's key with `network:sync`): it is sent as `X-API-Key`
    with every feed request, stored sealed like the secret, and never returned
    (`has_api_key` tells whether one is set).
    """

    async def write() -> PeerRead:
        peer = await service.add_peer(
            session=session,
            sealing_key=settings.sync_secret_key.get_secret_value(),
            local_node=settings.node_id,
            peer_in=peer_in,
        )
        return PeerRead.model_validate(peer)

    peer = await idempotency.run(session, PeerRead, write)
    response.headers["ETag"] = etag_for(peer.version)
    return peer


@peers_router.get(
    "/{node_id}",
    response_model=PeerRead,
    responses={200: {"headers": ETAG}, **problem_responses(NOT_FOUND)},
)
async def get_peer(
    node_id: str, session: SessionDep, response: Response, principal: AdminDep
) -> PeerRead:
    """One peer (`network:admin`) with its `ETag`; its secret is never shown."""
    peer = await service.get_peer(session=session, node_id=node_id)
    response.headers["ETag"] = etag_for(peer.version)
    return PeerRead.model_validate(peer)


@peers_router.patch(
    "/{node_id}",
    response_model=PeerRead,
    responses={200: {"headers": ETAG}, **problem_responses(NOT_FOUND, STALE, IF_MATCH_MISSING)},
)
async def update_peer(
    node_id: str,
    peer_in: PeerUpdate,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    principal: AdminDep,
    if_match: Annotated[
        str | None, Header(max_length=200, description='The peer\'s current ETag, e.g. `"1"`.')
    ] = None,
) -> PeerRead:
    """Rotate a peer's secret or API key (`api_key: null` removes the key), pause or resume
    it, change what is shared with it and accepted from it, or `restart` its feed from the
    beginning (`network:admin`).

    Send `If-Match` with the current ETag (428 without, 412 when stale).
    """
    peer = await service.update_peer(
        session=session,
        sealing_key=settings.sync_secret_key.get_secret_value(),
        node_id=node_id,
        peer_in=peer_in,
        if_match=if_match,
    )
    response.headers["ETag"] = etag_for(peer.version)
    return PeerRead.model_validate(peer)


@peers_router.delete(
    "/{node_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(NOT_FOUND)
)
async def remove_peer(node_id: str, session: SessionDep, principal: AdminDep) -> Response:
    """Stop syncing with a peer (`network:admin`); what it sent stays."""
    peer = await service.get_peer(session=session, node_id=node_id)
    await PeerRepository(session).delete(peer)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@peers_router.post(
    "/{node_id}/sync", response_model=SyncRunRead, responses=problem_responses(NOT_FOUND)
)
async def sync_peer_now(
    node_id: str, runtime: RuntimeDep, settings: SettingsDep, principal: AdminDep
) -> SyncRunRead:
    """Pull the peer's change feed now and answer with the recorded run (`network:admin`).

    A failed run (peer down, slow, or sending garbage, after retries with backoff) is still
    a 200 with `status: failed`: the run itself was carried out and recorded.
    """
    runner = SyncRunner(database=runtime.database, outbox=runtime.outbox, settings=settings)
    run = await runner.run(node_id)
    runtime.relay.wake()
    return SyncRunRead.model_validate(run)
