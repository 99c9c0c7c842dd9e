"""The OpenAPI document describes every route of the native API, its errors and its auth."""

from __future__ import annotations

EXPECTED = {
    "/api/smart/v1/node": {"get"},
    "/api/smart/v1/members": {"get", "post"},
    "/api/smart/v1/members/{username}": {"get", "patch", "delete"},
    "/api/smart/v1/members/{username}/invitation": {"post"},
    "/api/smart/v1/members/{username}/suspend": {"post"},
    "/api/smart/v1/members/{username}/reactivate": {"post"},
    "/api/smart/v1/projects": {"get", "post"},
    "/api/smart/v1/projects/{slug}": {"get", "patch", "delete"},
    "/api/smart/v1/projects/{slug}/team/{username}": {"put", "delete"},
    "/api/smart/v1/actors/{username}/following": {"get", "post", "delete"},
    "/api/smart/v1/actors/{username}/followers": {"get"},
    "/api/smart/v1/actors/{username}/follow-requests": {"get"},
    "/api/smart/v1/actors/{username}/follow-requests/accept": {"post"},
    "/api/smart/v1/actors/{username}/follow-requests/reject": {"post"},
    "/api/smart/v1/skills": {"get"},
    "/api/smart/v1/skills/local": {"post"},
    "/api/smart/v1/members/{username}/matching-profile": {"get", "put", "patch"},
    "/api/smart/v1/actors/{username}/posts": {"get", "post"},
    "/api/smart/v1/posts/{token}": {"get", "patch", "delete"},
    "/api/smart/v1/posts/{token}/context": {"get"},
    "/api/smart/v1/events/{token}/context": {"get"},
    "/api/smart/v1/calls/{token}/context": {"get"},
    "/api/smart/v1/actors/{username}/events": {"get", "post"},
    "/api/smart/v1/actors/{username}/events.ics": {"get"},
    "/api/smart/v1/events/{token}": {"get", "patch", "delete"},
    "/api/smart/v1/events/{token}.ics": {"get"},
    "/api/smart/v1/participations": {"get", "post", "delete"},
    "/api/smart/v1/events/{token}/participants": {"get"},
    "/api/smart/v1/events/{token}/participants/{participant}/{decision}": {"post"},
    "/api/smart/v1/actors/{slug}/calls": {"get", "post"},
    "/api/smart/v1/board": {"get"},
    "/api/smart/v1/calls/{token}": {"get", "patch", "delete"},
    "/api/smart/v1/calls/{token}/close": {"post"},
    "/api/smart/v1/calls/{token}/fill": {"post"},
    "/api/smart/v1/calls/{token}/reopen": {"post"},
    "/api/smart/v1/applications": {"get", "post"},
    "/api/smart/v1/projects/{slug}/applications": {"get"},
    "/api/smart/v1/applications/{app_id}": {"get", "delete"},
    "/api/smart/v1/applications/{app_id}/shortlist": {"post"},
    "/api/smart/v1/applications/{app_id}/accept": {"post"},
    "/api/smart/v1/applications/{app_id}/reject": {"post"},
    "/api/smart/v1/remote-decisions": {"post"},
    "/api/smart/v1/projects/{slug}/invitations": {"post"},
    "/api/smart/v1/projects/{slug}/requests": {"get"},
    "/api/smart/v1/projects/{slug}/requests/{request_id}/{decision}": {"post"},
    "/api/smart/v1/projects/{slug}/members": {"put", "delete"},
    "/api/smart/v1/projects/join": {"post"},
    "/api/smart/v1/projects/leave": {"post"},
    "/api/smart/v1/invitations": {"get"},
    "/api/smart/v1/invitations/{request_id}/{decision}": {"post"},
    "/api/smart/v1/teams": {"get"},
    "/api/smart/v1/notifications": {"get"},
    "/api/smart/v1/notifications/{notification_id}/read": {"post"},
    "/api/smart/v1/feeds": {"get", "post"},
    "/api/smart/v1/feeds/{slug}": {"get", "patch", "delete"},
    "/api/smart/v1/projects/{slug}/candidates": {"get"},
    "/api/smart/v1/calls/{token}/candidates": {"get"},
    "/api/smart/v1/exchange": {"get"},
    "/api/smart/v1/search": {"get"},
    "/api/smart/v1/directory": {"get"},
}
#: Answers that are not JSON (iCalendar files).
NOT_JSON = {"/api/smart/v1/actors/{username}/events.ics", "/api/smart/v1/events/{token}.ics"}
WRITES = {"post", "put", "patch", "delete"}


async def openapi(client) -> dict:
    response = await client.get("/api/smart/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


async def test_openapi_lists_every_path_and_method(client) -> None:
    paths = (await openapi(client))["paths"]
    native = {path: set(ops) for path, ops in paths.items() if path.startswith("/api/smart/v1")}
    assert native == EXPECTED


async def test_every_operation_has_a_summary_and_a_success_model(client) -> None:
    paths = (await openapi(client))["paths"]
    for path, methods in EXPECTED.items():
        for method in methods:
            operation = paths[path][method]
            assert operation.get("summary"), (method, path)
            ok = next(s for s in operation["responses"] if s.startswith("2"))
            if path in NOT_JSON:
                assert "text/calendar" in operation["responses"][ok]["content"], path
            elif ok != "204":  # 204 answers carry no body
                schema = operation["responses"][ok]["content"]["application/json"]["schema"]
                assert schema["$ref"].startswith("#/components/schemas/"), (method, path)


async def test_writes_declare_bearer_auth_and_their_error_shape(client) -> None:
    document = await openapi(client)
    schemes = document["components"]["securitySchemes"]
    assert [s["scheme"] for s in schemes.values()] == ["bearer"]
    for path, methods in EXPECTED.items():
        for method in methods & WRITES:
            operation = document["paths"][path][method]
            assert operation.get("security"), (method, path)
            error = operation["responses"]["401"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorOut"}


async def test_validation_errors_are_documented_as_the_error_shape_we_send(client) -> None:
    document = await openapi(client)
    post = document["paths"]["/api/smart/v1/members"]["post"]
    schema = post["responses"]["422"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ErrorOut"}
    assert set(document["components"]["schemas"]["ErrorOut"]["properties"]) == {"error", "code"}


async def test_docs_page_is_served(client) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "/api/smart/v1/openapi.json" in response.text


async def test_no_operation_documents_a_shape_we_never_send(client) -> None:
    paths = (await openapi(client))["paths"]
    for path in EXPECTED:
        assert "HTTPValidationError" not in str(paths[path]), path


async def test_nothing_native_stays_under_mastodons_prefixes(client) -> None:
    """/api/v1, /api/v2 and /oauth belong to the Mastodon client API: of ours only the app
    registration Mastodon defines is there, and the old native paths are gone."""
    paths = (await openapi(client))["paths"]
    mastodon = {p for p in paths if p.startswith(("/api/v1/", "/api/v2/"))}
    assert mastodon <= {"/api/v1/apps", "/api/v1/apps/verify_credentials"}
    for old in ("/api/v1/members", "/api/v1/board", "/api/v1/openapi.json"):
        response = await client.get(old)
        assert response.status_code == 404, old
        assert "error" in response.json(), old
