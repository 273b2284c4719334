"""What every ResultStore does, checked against the memory, filesystem and Redis stores alike."""

from __future__ import annotations

import pytest

from tests.integration.stores.builders import a_result
from vtryon.domain.errors import InvalidInput
from vtryon.ports.stores import ResultStore


def test_a_stored_result_reads_back_equal(result_store: ResultStore) -> None:
    result = a_result()
    result_store.add(result)
    assert result_store.get(result.id) == result


def test_an_unknown_result_reads_as_none(result_store: ResultStore) -> None:
    assert result_store.get("never-stored") is None


def test_adding_a_result_id_twice_is_refused(result_store: ResultStore) -> None:
    result = a_result()
    result_store.add(result)
    with pytest.raises(InvalidInput) as caught:
        result_store.add(result)
    assert caught.value.code == "result_exists"


def test_list_by_owner_is_newest_first_and_honours_the_limit(result_store: ResultStore) -> None:
    results = [a_result(created_at=1000.0 + i) for i in range(5)]
    for result in results:
        result_store.add(result)
    newest_three = [r.id for r in reversed(results)][:3]
    assert [r.id for r in result_store.list_by_owner("alice", limit=3)] == newest_three
    assert len(result_store.list_by_owner("alice")) == 5
    assert result_store.list_by_owner("alice", limit=0) == []


def test_owners_never_see_each_others_results(result_store: ResultStore) -> None:
    mine, theirs = a_result(owner="alice"), a_result(owner="bob")
    result_store.add(mine)
    result_store.add(theirs)
    assert [r.id for r in result_store.list_by_owner("alice")] == [mine.id]
    assert [r.id for r in result_store.list_by_owner("bob")] == [theirs.id]
    assert result_store.list_by_owner("carol") == []


def test_a_negative_limit_is_invalid(result_store: ResultStore) -> None:
    with pytest.raises(InvalidInput):
        result_store.list_by_owner("alice", limit=-1)
