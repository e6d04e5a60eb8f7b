"""The fair rotation of secretary and ata author over sectors (seed 000 §5, PRODUCT.md §4)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.rules.rotation import Service, Standing, choose, standings

# Sector ids in a stable order (by name, as the bot lists them).
COORDINATION = 1  # Assistência Social: coordinates the meetings, excluded by setting
CRAS, CREAS, CONSELHO, SAUDE, EDUCACAO, HABITACAO, CULTURA = 2, 3, 4, 5, 6, 7, 8
SECTORS = [COORDINATION, CRAS, CREAS, CONSELHO, SAUDE, EDUCACAO, HABITACAO, CULTURA]

# Twice a month, 14h in São Paulo.
YEAR = [datetime(2027, month, day, 17, 0, tzinfo=UTC) for month in range(1, 13) for day in (9, 23)]
JAN = YEAR[0]

# Chance of missing a meeting: CRAS, CREAS and the Conselho Tutelar never miss, most
# sectors come often, Cultura often misses.
ABSENCE = {
    COORDINATION: 0.0,
    CRAS: 0.0,
    CREAS: 0.0,
    CONSELHO: 0.0,
    SAUDE: 0.1,
    EDUCACAO: 0.15,
    HABITACAO: 0.2,
    CULTURA: 0.5,
}
DECLINE = 0.1  # chance that the chosen sector says "não posso"
PRESENT_OFTEN = 20  # of the year's 24 meetings


def served(*sectors: int, start: datetime = JAN) -> list[Service]:
    """One service per meeting, two weeks apart, in the given order."""
    return [Service(s, start + timedelta(weeks=2 * i)) for i, s in enumerate(sectors)]


def counts(history: list[Service], sectors: set[int]) -> dict[int, int]:
    return {s: sum(1 for service in history if service.sector_id == s) for s in sectors}


def spread(history: list[Service], sectors: set[int]) -> int:
    values = counts(history, sectors).values()
    return max(values) - min(values) if values else 0


@dataclass
class Year:
    """What happened over a simulated year, per role."""

    history: dict[str, list[Service]] = field(default_factory=dict)
    attended: dict[int, int] = field(default_factory=lambda: dict.fromkeys(SECTORS, 0))
    declined_ever: set[int] = field(default_factory=set)
    # (role, meeting, chosen, last, sectors that could have served instead of ``last``)
    picks: list[tuple[str, datetime, int | None, int | None, set[int]]] = field(
        default_factory=list
    )
    # Sectors present at every meeting so far that never declined, and the secretary
    # counts' spread among them after each meeting.
    steady: set[int] = field(default_factory=set)
    steady_spreads: list[int] = field(default_factory=list)


def simulate_year(
    rng: random.Random,
    absence: dict[int, float] = ABSENCE,
    reliable: frozenset[int] = frozenset(),
) -> Year:
    """24 meetings; the secretary is chosen first, then the ata author avoiding them.

    A sector that declines is asked no more for that meeting and ``choose`` is called
    again with the declined set, as the bot does. ``reliable`` sectors never decline.
    """
    roles = ("secretary", "ata")
    year = Year(history={role: [] for role in roles})
    last: dict[str, int | None] = dict.fromkeys(roles)
    presence: list[set[int]] = []
    for meeting in YEAR:
        present = {s for s in SECTORS if rng.random() >= absence[s]}
        presence.append(present)
        for s in present:
            year.attended[s] += 1
        chosen: set[int] = set()
        for role in roles:
            declined: set[int] = set()
            while True:
                pick = choose(
                    SECTORS,
                    year.history[role],
                    present=present,
                    excluded={COORDINATION},
                    declined=declined,
                    last=last[role],
                    avoid=chosen,
                )
                if pick is None or pick in reliable or rng.random() >= DECLINE:
                    break
                declined.add(pick)
                year.declined_ever.add(pick)
            # Who else could have served: present, not excluded, not declined.
            others = present - {COORDINATION} - declined
            if last[role] is not None:
                others.discard(last[role])
            year.picks.append((role, meeting, pick, last[role], others))
            if pick is not None:
                year.history[role].append(Service(pick, meeting))
                chosen.add(pick)
            last[role] = pick
        year.steady = set.intersection(*presence) - {COORDINATION} - year.declined_ever
        year.steady_spreads.append(spread(year.history["secretary"], year.steady))
    return year


# --- a year of meetings ---------------------------------------------------------------


def test_a_year_of_meetings_keeps_the_rotation_fair() -> None:
    year = simulate_year(random.Random(7))
    often = {s for s in SECTORS if year.attended[s] >= PRESENT_OFTEN} - {COORDINATION}
    assert len(often) >= 4  # the bound below speaks about most of the network
    assert CULTURA not in often  # the sector that often misses is not held to it
    for role in ("secretary", "ata"):
        history = year.history[role]
        assert len(history) == len(YEAR)  # someone served every time
        # Bound asserted for this seeded year: at most 2 services apart among
        # sectors present at >= 20 of the 24 meetings, in both roles.
        assert spread(history, often) <= 2, (role, counts(history, often))
        assert counts(history, {COORDINATION}) == {COORDINATION: 0}


def test_sectors_always_available_never_drift_more_than_one_apart_in_the_year() -> None:
    # The guaranteed bound: in the role chosen without ``avoid`` (the secretary),
    # sectors present at every meeting that never declined differ by at most 1,
    # after every meeting, whatever the others do.
    year = simulate_year(random.Random(7), reliable=frozenset({CRAS, CREAS, CONSELHO}))
    assert year.steady == {CRAS, CREAS, CONSELHO}
    assert max(year.steady_spreads) <= 1


def test_nobody_serves_twice_in_a_row_while_another_could() -> None:
    year = simulate_year(random.Random(7))
    for role, meeting, pick, last, others in year.picks:
        if pick is not None and pick == last:
            assert not others, (role, meeting, pick)
    repeats = [p for p in year.picks if p[2] is not None and p[2] == p[3]]
    assert repeats == []  # with this network, someone else could always serve


@pytest.mark.parametrize("seed", range(40))
def test_the_guaranteed_bound_holds_for_any_absences_and_declines(seed: int) -> None:
    # Proof sketch of the bound: let A be the sectors available at every meeting.
    # A sector of A is passed over for one with more services only when it is
    # ``last``; then it served at the previous meeting, so before that meeting it was
    # the only one of A at its count, and every other sector of A was at most one
    # above it, i.e. now level with it.
    rng = random.Random(seed)
    reliable = frozenset(rng.sample(SECTORS[1:], rng.randint(2, 5)))
    absence = {s: 0.0 if s in reliable else rng.choice((0.1, 0.3, 0.7)) for s in SECTORS}
    year = simulate_year(rng, absence, reliable)
    assert reliable <= year.steady
    assert max(year.steady_spreads) <= 1


# --- rotation order -------------------------------------------------------------------


def test_ties_are_broken_by_the_candidates_order() -> None:
    assert [s.sector_id for s in standings([5, 3, 8], [])] == [5, 3, 8]
    assert choose([5, 3, 8], []) == 5
    assert choose([8, 3, 5], []) == 8
    # Same count and same meeting: still the given order.
    history = [Service(5, JAN), Service(3, JAN)]
    assert [s.sector_id for s in standings([3, 5], history)] == [3, 5]
    assert [s.sector_id for s in standings([5, 3], history)] == [5, 3]


def test_a_sector_that_never_served_goes_before_those_that_served() -> None:
    history = served(CRAS, CREAS)
    assert standings([CRAS, CREAS, SAUDE], history) == [
        Standing(SAUDE, 0, None),
        Standing(CRAS, 1, JAN),
        Standing(CREAS, 1, JAN + timedelta(weeks=2)),
    ]
    assert choose([CRAS, CREAS, SAUDE], history) == SAUDE


def test_among_equal_counts_the_one_that_served_longest_ago_goes_first() -> None:
    history = served(SAUDE, CREAS, CRAS, SAUDE, CREAS, CRAS)
    order = [s.sector_id for s in standings([CRAS, CREAS, SAUDE], history)]
    assert order == [SAUDE, CREAS, CRAS]
    assert choose([CRAS, CREAS, SAUDE], history) == SAUDE


def test_fewest_services_come_first_whatever_the_dates() -> None:
    history = [Service(CRAS, JAN), Service(CREAS, JAN), Service(CREAS, YEAR[1])]
    history.append(Service(CRAS, YEAR[-1]))  # CRAS served last but as often as CREAS
    history.append(Service(SAUDE, YEAR[-1]))
    standing = standings([CRAS, CREAS, SAUDE], history)
    assert [(s.sector_id, s.count) for s in standing] == [(SAUDE, 1), (CREAS, 2), (CRAS, 2)]
    assert standing[1].last_served == YEAR[1]
    assert standing[2].last_served == YEAR[-1]


def test_services_of_sectors_outside_the_candidates_are_ignored() -> None:
    history = served(COORDINATION, COORDINATION, CRAS)
    assert standings([CREAS, CRAS], history) == [
        Standing(CREAS, 0, None),
        Standing(CRAS, 1, JAN + timedelta(weeks=4)),
    ]


def test_a_naive_service_date_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        standings([CRAS], [Service(CRAS, datetime(2027, 1, 9, 14))])


# --- determinism ----------------------------------------------------------------------


def test_the_same_inputs_give_the_same_choice() -> None:
    history = served(CRAS, CREAS, SAUDE, CONSELHO, CRAS, EDUCACAO)
    present = {CRAS, SAUDE, EDUCACAO, HABITACAO}
    first = choose(SECTORS, history, present=present, last=EDUCACAO)
    for _ in range(5):
        assert choose(list(SECTORS), list(history), present=set(present), last=EDUCACAO) == first
    assert first == HABITACAO


def test_the_order_of_the_history_does_not_matter() -> None:
    year = simulate_year(random.Random(7))
    history = year.history["secretary"]
    expected = standings(SECTORS, history)
    pick = choose(SECTORS, history, excluded={COORDINATION}, last=history[-1].sector_id)
    shuffler = random.Random(11)
    for _ in range(10):
        shuffled = list(history)
        shuffler.shuffle(shuffled)
        assert standings(SECTORS, shuffled) == expected
        assert choose(SECTORS, shuffled, excluded={COORDINATION}, last=history[-1].sector_id) == (
            pick
        )


# --- who may serve --------------------------------------------------------------------


def test_an_absent_sector_keeps_its_place_until_it_attends() -> None:
    candidates = [CRAS, CREAS, SAUDE, EDUCACAO]
    history = served(CRAS, CREAS)  # SAUDE is due, then EDUCACAO
    without_saude = {CRAS, CREAS, EDUCACAO}
    # SAUDE misses three meetings in a row: the others serve, its count stays at 0.
    for meeting in YEAR[2:5]:
        last = history[-1].sector_id
        pick = choose(candidates, history, present=without_saude, last=last)
        assert pick is not None
        assert pick != SAUDE
        history.append(Service(pick, meeting))
    assert [s.sector_id for s in history[2:]] == [EDUCACAO, CRAS, CREAS]
    # It is first the next time it is present, ahead of EDUCACAO that served once.
    pick = choose(candidates, history, present=set(candidates), last=history[-1].sector_id)
    assert pick == SAUDE


def test_present_none_means_everyone_is_present() -> None:
    history = served(CRAS)
    assert choose([CRAS, CREAS], history) == CREAS
    assert choose([CRAS, CREAS], history, present={CRAS, CREAS}) == CREAS
    assert choose([CRAS, CREAS], history, present={CRAS}, last=CRAS) == CRAS
    assert choose([CRAS, CREAS], history, present=set()) is None


def test_an_excluded_sector_is_never_chosen() -> None:
    history: list[Service] = []
    for meeting in YEAR:
        last = history[-1].sector_id if history else None
        pick = choose(SECTORS, history, excluded={COORDINATION}, last=last)
        assert pick is not None
        assert pick != COORDINATION
        history.append(Service(pick, meeting))
    # Not even as the only sector at the meeting.
    assert choose(SECTORS, history, present={COORDINATION}, excluded={COORDINATION}) is None


def test_a_declined_sector_is_not_chosen_and_the_next_one_is() -> None:
    assert choose([CRAS, CREAS, SAUDE], []) == CRAS
    assert choose([CRAS, CREAS, SAUDE], [], declined={CRAS}) == CREAS
    assert choose([CRAS, CREAS, SAUDE], [], declined={CRAS, CREAS}) == SAUDE


def test_a_declined_sector_keeps_its_place_for_the_next_meeting() -> None:
    candidates = [CRAS, CREAS, SAUDE]
    assert choose(candidates, [], declined={CRAS}) == CREAS
    history = [Service(CREAS, JAN)]
    assert choose(candidates, history, last=CREAS) == CRAS


def test_nobody_when_everyone_declined_or_is_absent() -> None:
    assert choose([CRAS, CREAS], [], declined={CRAS, CREAS}) is None
    assert choose([CRAS, CREAS], [], present={CRAS}, declined={CRAS}) is None
    assert choose([CRAS, CREAS], [], present={SAUDE}) is None
    assert choose([], []) is None


def test_the_last_one_is_skipped_while_another_can_serve() -> None:
    # CRAS is back from a long absence and served last time: still the fewest services.
    history = served(CREAS, SAUDE, CREAS, SAUDE, CRAS)
    assert choose([CRAS, CREAS, SAUDE], history) == CRAS
    assert choose([CRAS, CREAS, SAUDE], history, last=CRAS) == CREAS


def test_the_last_one_serves_again_when_it_is_the_only_one_left() -> None:
    history = served(CREAS, CRAS)
    assert choose([CRAS, CREAS], history, present={CRAS}, last=CRAS) == CRAS
    assert choose([CRAS, CREAS], history, declined={CREAS}, last=CRAS) == CRAS
    assert choose([CRAS, CREAS], history, excluded={CREAS}, last=CRAS) == CRAS


def test_avoid_is_respected_when_possible() -> None:
    # CRAS is due for the ata but is already the secretary: CREAS writes it.
    assert choose([CRAS, CREAS, SAUDE], [], avoid={CRAS}) == CREAS
    assert choose([CRAS, CREAS, SAUDE], [], avoid={CRAS, CREAS}) == SAUDE


def test_avoid_is_ignored_when_nobody_else_can_serve() -> None:
    assert choose([CRAS, CREAS], [], present={CRAS}, avoid={CRAS}) == CRAS
    assert choose([CRAS, CREAS], [], declined={CREAS}, avoid={CRAS}) == CRAS
    # Among avoided sectors, the rotation order still decides.
    assert choose([CRAS, CREAS], served(CRAS), avoid={CRAS, CREAS}) == CREAS


def test_serving_twice_in_a_row_weighs_more_than_doubling_up_with_avoid() -> None:
    # Only CRAS and CREAS are present; CREAS wrote the last ata and CRAS is today's
    # secretary: CRAS also writes the ata rather than CREAS writing two in a row.
    pick = choose([CRAS, CREAS], served(CREAS), present={CRAS, CREAS}, last=CREAS, avoid={CRAS})
    assert pick == CRAS
    # With only the last one and the avoided one, the avoided one comes before last.
    pick = choose([CRAS, CREAS, SAUDE], [], present={CRAS, CREAS}, last=CRAS, avoid={CREAS})
    assert pick == CREAS
