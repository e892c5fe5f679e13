"""GET /api/mentors is asked on every keystroke: the matches are capped before Graph is read, names come
through the gateway's directory cache, and the sample catalogue for the README's tenant finds mentors."""

from __future__ import annotations

from graph.config import GraphSettings
from graph.gateway import GraphGateway
from policies import TenantPolicy
from services.mentor_search import MentorMatch, search_mentors
from services.requests import load_catalogue, parse_catalogue
from tests.conftest import DATA, Admin, with_graph

REAL = ["ana", "maya", "ravi", "sita"]  # the four people of tests/data/tenant.json
GHOSTS = [f"zz-ghost-{i:02}" for i in range(11)]  # in the catalogue, gone from the directory


def _user_reads(admin: Admin) -> int:
    return sum(1 for r in admin.get("/requests")["requests"] if r["path"].startswith("/users"))


def test_matches_are_capped_before_graph_and_names_are_cached(admin: Admin, graph_settings: GraphSettings) -> None:
    catalogue = parse_catalogue([{"upn": f"{n}@contoso.example", "skills": ["Retrospectives"]} for n in REAL + GHOSTS])
    admin.post("/requests/reset", {})

    async def twice(graph: GraphGateway) -> tuple[list[MentorMatch], int, list[MentorMatch]]:
        first = await search_mentors(graph, catalogue, TenantPolicy(), "retro")
        reads = _user_reads(admin)
        admin.post("/requests/reset", {})
        return first, reads, await search_mentors(graph, catalogue, TenantPolicy(), "retr")

    first, first_reads, second = with_graph(graph_settings, twice)
    second_reads = _user_reads(admin)
    # 15 match; the first 10 by UPN are the 4 real people and zz-ghost-00..05. Each real one is one
    # GET /users/{upn}; each ghost a 404 and then the look-up by mail (2 reads): 4 + 6 x 2 = 16, not 4 + 11 x 2.
    assert [m.upn for m in first] == [f"{n}@contoso.example" for n in REAL]
    assert first_reads == 16
    # The next keystroke reads only the ghosts again (nobody is cached as missing): 6 x 2.
    assert [m.upn for m in second] == [m.upn for m in first]
    assert second_reads == 12


def test_the_sample_catalogue_finds_retro_mentors_for_the_readme_tenant(graph_settings: GraphSettings) -> None:
    catalogue = load_catalogue(DATA / "contoso-mentors.json")

    async def search(graph: GraphGateway) -> list[MentorMatch]:
        return await search_mentors(graph, catalogue, TenantPolicy(), "retro", exclude="ravi@contoso.example")

    found = with_graph(graph_settings, search)
    assert [(m.upn, m.skills[0]) for m in found] == [
        ("maya@contoso.example", "retrospectives"),
        ("sita@contoso.example", "retrospectives"),
    ]
