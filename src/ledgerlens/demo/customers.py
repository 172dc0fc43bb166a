"""Customer records: ids, names, sales reps, acquisition channels, parents and referrals,
and the `customers` table built from them.

Customer ids follow creation order (C00001 was created first), whereas the population
keeps the order it was drawn in; `CustomerAttributes.order` maps one to the other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ledgerlens.demo.behaviours import CHAMPION, DECLINER, GOOD, LATE, NEWCOMER
from ledgerlens.demo.businesses import Business
from ledgerlens.demo.ids import padded_ids
from ledgerlens.demo.population import Population
from ledgerlens.demo.writing import ColumnValues, Days, Integers, Text, repeated_text, with_nulls

CHANNELS = ("referral", "web", "outbound", "partner", "event")
REFERRAL = 0
CHANNEL_PROBABILITIES = (0.24, 0.30, 0.20, 0.12, 0.08, 0.06)  # last: blank (unknown)
SUBSIDIARY_SUFFIXES = ("East", "West", "North", "South", "Services", "Logistics")


@dataclass
class CustomerAttributes:
    """Per population index, except `order`."""

    order: np.ndarray  # population indexes in customer-id order
    ids: pa.Array
    names: pa.Array
    sales_rep: pa.Array  # null: none
    channel: pa.Array  # null: unknown
    channel_code: np.ndarray  # index into CHANNELS; len(CHANNELS): unknown
    parent: np.ndarray  # population index of the parent customer; -1: none
    referred_by: np.ndarray  # population index of the referring customer; -1: none


def draw_customer_attributes(
    biz: Business, pop: Population, rng: np.random.Generator
) -> CustomerAttributes:
    """Ids, names, reps, channels, parents and referrals (ids follow creation order)."""
    size = pop.size
    order = np.lexsort((rng.random(size), pop.created_day))  # ties broken at random
    number = np.empty(size, np.int64)
    number[order] = np.arange(1, size + 1)
    ids = padded_ids("C", number, 5)

    first_words, second_words, suffixes = (pa.array(part) for part in biz.name_parts)
    names = pc.binary_join_element_wise(
        pc.take(first_words, pa.array(rng.integers(0, len(first_words), size))),
        pc.take(second_words, pa.array(rng.integers(0, len(second_words), size))),
        " ",
    )
    names = pc.binary_join_element_wise(
        names, pc.take(suffixes, pa.array(rng.integers(0, len(suffixes), size))), ""
    ).to_pylist()

    reps = pa.array(list(biz.sales_reps) + [None])
    rep_probabilities = np.r_[np.full(len(biz.sales_reps), 0.94 / len(biz.sales_reps)), 0.06]
    rep = rng.choice(len(reps), size, p=rep_probabilities)
    channel = rng.choice(len(CHANNEL_PROBABILITIES), size, p=CHANNEL_PROBABILITIES)

    # Referred customers name a customer created before them.
    referred_by = np.full(size, -1)
    rank = number - 1
    is_referred = (channel == REFERRAL) & (rank > 0)
    referred_by[is_referred] = order[
        (rng.random(is_referred.sum()) * rank[is_referred]).astype(np.int64)
    ]
    if biz.business_id == "northwind" and size >= 3:  # a referral chain A -> B -> C
        chain = order[[size // 10, size // 2, (9 * size) // 10]]
        channel[chain[1:]] = REFERRAL
        referred_by[chain[1]] = chain[0]
        referred_by[chain[2]] = chain[1]

    if pop.is_foreign.any():
        names[int(np.nonzero(pop.is_foreign)[0][0])] = biz.foreign_customer_name

    # A few subsidiaries (parent_customer_id): head offices are champions; a subsidiary
    # is named after its head office and has the same sales rep.
    parent = np.full(size, -1)
    heads = np.nonzero(pop.behaviour == CHAMPION)[0]
    candidates = np.nonzero(
        np.isin(pop.behaviour, (GOOD, LATE, DECLINER, NEWCOMER)) & ~pop.is_foreign
    )[0]
    n_subsidiaries = min(max(2, size // 500), len(candidates))
    if len(heads) and n_subsidiaries:
        subsidiaries = rng.choice(candidates, n_subsidiaries, replace=False)
        parent[subsidiaries] = rng.choice(heads, n_subsidiaries)
        # One head office has two subsidiaries or more: a group split over several
        # records (no draw: the streams do not move).
        parent[subsidiaries[1:2]] = parent[subsidiaries[0]]
        for k, subsidiary in enumerate(np.nonzero(parent >= 0)[0]):  # a handful of rows
            suffix = SUBSIDIARY_SUFFIXES[k % len(SUBSIDIARY_SUFFIXES)]
            names[subsidiary] = f"{names[parent[subsidiary]]} - {suffix}"
            rep[subsidiary] = rep[parent[subsidiary]]

    return CustomerAttributes(
        order=order,
        ids=ids,
        names=pa.array(names, pa.string()),
        sales_rep=pc.take(reps, pa.array(rep)),
        channel=pc.take(pa.array(list(CHANNELS) + [None]), pa.array(channel)),
        channel_code=channel,
        parent=parent,
        referred_by=referred_by,
    )


def customers_columns(
    biz: Business, pop: Population, attrs: CustomerAttributes
) -> dict[str, ColumnValues]:
    """The `customers` table, in customer-id order."""
    order = attrs.order
    index = pa.array(order)

    def customer_ids(population_index: np.ndarray) -> Text:
        """Ids of the given customers, null where the index is -1."""
        ids = pc.take(attrs.ids, pa.array(np.maximum(population_index, 0)))
        return Text(with_nulls(ids, population_index < 0))

    return {
        "business_id": repeated_text(biz.business_id, pop.size),
        "customer_id": Text(pc.take(attrs.ids, index)),
        "customer_name": Text(pc.take(attrs.names, index)),
        "created_date": Days(pop.created_day[order]),
        "payment_terms_days": Integers(
            np.maximum(pop.negotiated_terms[order], 0), pop.negotiated_terms[order] < 0
        ),
        "sales_rep": Text(pc.take(attrs.sales_rep, index)),
        "acquisition_channel": Text(pc.take(attrs.channel, index)),
        "parent_customer_id": customer_ids(attrs.parent[order]),
        "referred_by_customer_id": customer_ids(attrs.referred_by[order]),
    }
