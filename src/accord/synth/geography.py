"""A synthetic geography of England: output areas, LSOAs, local authorities, regions, postcodes.

The hierarchy has the sizes of the real one, because disclosure control and small-area
statistics behave differently on a toy map: an output area holds 296 people in about
125 households (ONS designs them for ~125), an LSOA 4 to 6 output areas, a local
authority a log-normal number of LSOAs around 90, and each authority sits in one of the
nine real English regions, drawn in proportion to their population.

People are laid out in person-id order: output area ``k`` holds persons
``[296k, 296k + 296)``. Area sizes are drawn per area index, never from the total, so the
geography of a small scale is exactly the first part of the geography of scale 1.

Codes have the ONS shapes but numbers no real area uses (OAs and LSOAs from 500000,
local authorities from 900001), so a synthetic code is never mistaken for a real one.
Region codes and names are the real ones: they are not personal and make published-style
tables recognisable. Postcodes have valid shapes (checked against
:func:`accord.core.identifiers.is_valid_postcode`) and are unique to one (OA, street).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from accord.core.expressions.areas import AreaLookup, lookup_from_rows
from accord.synth.streams import IntArray, Streams, cumulative

__all__ = [
    "PERSONS_PER_OA",
    "PERSONS_PER_POSTCODE",
    "POSTCODES_PER_OA",
    "REGIONS",
    "STREET_ABBREVIATIONS",
    "Geography",
    "build_geography",
]

PERSONS_PER_OA = 296
POSTCODES_PER_OA = 8
PERSONS_PER_POSTCODE = PERSONS_PER_OA // POSTCODES_PER_OA
LSOA_MIN_OAS, LSOA_MAX_OAS = 4, 6
LA_MEDIAN_LSOAS, LA_SIGMA = 90.0, 0.6
LA_MIN_LSOAS, LA_MAX_LSOAS = 15, 700
OAS_PER_PRACTICE = 30
"""About 8,900 patients per GP practice, the English average."""

# (code, name, share of England's population, first letter of its GP practice codes)
REGIONS: tuple[tuple[str, str, float, str], ...] = (
    ("E12000001", "North East", 4.7, "A"),
    ("E12000002", "North West", 13.1, "P"),
    ("E12000003", "Yorkshire and The Humber", 9.7, "B"),
    ("E12000004", "East Midlands", 8.6, "C"),
    ("E12000005", "West Midlands", 10.5, "M"),
    ("E12000006", "East of England", 11.1, "D"),
    ("E12000007", "London", 15.9, "F"),
    ("E12000008", "South East", 16.3, "H"),
    ("E12000009", "South West", 10.0, "L"),
)
_LONDON = 6

_TOWN_STEMS = (
    "Ash", "Brad", "Brook", "Burn", "Castle", "Chester", "Clay", "Dun", "Elm", "Fair",
    "Gold", "Green", "Hart", "Heath", "High", "King", "Lang", "Lee", "Long", "Market",
    "Mill", "Nor", "Oak", "Ox", "Red", "Rother", "Sand", "Shep", "Stan", "Stock",
    "Stone", "Sut", "Thorn", "Wal", "Water", "Whit", "Wick", "Wind", "Wood", "Ald",
    "Bar", "Cal", "Ded", "Ettle", "Fen", "Gras", "Hamble", "Ick", "Kirk", "Lud",
    "Mel", "Nettle", "Pen", "Ribble", "Sel", "Tad", "Ux", "Ven", "Wem", "Yar",
    "Ather", "Bick", "Cran", "Dor", "Ever", "Ful", "Grant", "Hinck", "Ket", "Leck",
    "Maid", "Nun", "Ock", "Pad", "Rams", "Sher", "Tew", "Up", "Wan", "Bran",
)  # fmt: skip
_TOWN_SUFFIXES = (
    "ton", "ham", "ford", "bury", "by", "wick", "ley", "field", "stead", "mouth",
    "port", "borough", "chester", "minster", "worth", "well", "bridge", "dale",
    "thorpe", "hurst", "combe", "den", "don", "ing", "mere", "stow", "wood",
)  # fmt: skip
_TOWN_PREFIXES = ("Great ", "Little ", "Upper ", "Lower ", "North ", "South ", "East ", "West ",
                  "Old ", "New ", "Long ", "Market ")  # fmt: skip
_STREET_STEMS = (
    "High", "Church", "Mill", "Station", "School", "Park", "Manor", "Chapel", "Bridge",
    "Castle", "Market", "Victoria", "Albert", "Queen's", "King's", "Windsor", "York",
    "Richmond", "Springfield", "Grange", "Meadow", "Orchard", "Green", "Hill", "Highfield",
    "Westfield", "Riverside", "Nelson", "Wellington", "Cromwell", "Stanley", "Clarence",
    "Hamilton", "Belmont", "Fairfield", "Moor", "Priory", "Abbey", "Oak", "Ash", "Beech",
    "Elm", "Willow", "Cedar", "Hawthorn", "Rowan", "Birch", "Chestnut", "Sycamore",
    "Holly", "Laurel", "Maple", "Poplar", "Larch", "Hazel", "Alder", "Linden", "Acacia",
    "Brook", "Forest", "Glebe", "Hollow", "Kiln", "Lime", "Marsh", "Pound", "Quarry",
    "Rectory", "Spring", "Tanners", "Tower", "Vicarage", "Well", "Wharf", "Woodland",
)  # fmt: skip
# (street type, weight); weights follow how common each is in English addresses.
_STREET_TYPES = (
    ("Road", 30), ("Street", 18), ("Avenue", 7), ("Close", 10), ("Lane", 9), ("Drive", 6),
    ("Way", 4), ("Gardens", 3), ("Crescent", 3), ("Grove", 3), ("Place", 2), ("Terrace", 2),
    ("Court", 2), ("View", 1), ("Walk", 1), ("Rise", 1), ("Mews", 1),
)  # fmt: skip
STREET_ABBREVIATIONS: dict[str, str] = {
    "Road": "Rd", "Street": "St", "Avenue": "Ave", "Close": "Cl", "Lane": "Ln",
    "Drive": "Dr", "Gardens": "Gdns", "Crescent": "Cres", "Grove": "Gr", "Place": "Pl",
    "Terrace": "Terr", "Court": "Ct",
}  # fmt: skip
"""Royal Mail's abbreviations, used by the ``address_format`` disagreement."""

# Letters allowed in each position of a postcode (Royal Mail; see core.identifiers).
_AREA_FIRST = "ABCDEFGHIJKLMNOPRSTUWYZ"
_AREA_SECOND = "ABCDEFGHKLMNOPQRSTUVWXY"
_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_DISTRICTS_PER_AREA = 40
_SECTORS_PER_DISTRICT = 6
_UNITS_PER_SECTOR = len(_UNIT_LETTERS) ** 2
_COPRIME_400 = np.asarray(
    [a for a in range(1, _UNITS_PER_SECTOR) if math.gcd(a, _UNITS_PER_SECTOR) == 1], np.int64
)


@dataclass(frozen=True)
class Geography:
    """Every area of the synthetic country for one population size, held as arrays.

    Per-person lookups are ``person // PERSONS_PER_OA`` into ``oa_*`` and
    ``oa * POSTCODES_PER_OA + slot`` into ``postcodes`` and ``streets``.
    """

    n_oa: int
    oa_lsoa: IntArray
    lsoa_la: IntArray
    la_region: IntArray
    oa_code: pa.Array
    lsoa_code: pa.Array
    lsoa_name: pa.Array
    lsoa_locality: pa.Array
    """Dependent locality printed on the second address line; null where none is used."""
    la_code: pa.Array
    la_name: pa.Array
    postcodes: pa.Array
    streets: pa.Array
    practice_codes: pa.Array
    """GP practice code for each output area's practice (index ``oa // OAS_PER_PRACTICE``)."""

    @property
    def n_lsoa(self) -> int:
        return len(self.lsoa_la)

    @property
    def n_la(self) -> int:
        return len(self.la_region)

    def region_code(self) -> pa.Array:
        return pa.array([r[0] for r in REGIONS]).take(pa.array(self.la_region))

    def region_name(self) -> pa.Array:
        return pa.array([r[1] for r in REGIONS]).take(pa.array(self.la_region))

    def output_areas(self) -> pa.Table:
        """One row per output area with its parents: the lookup small-area tables join to."""
        la = self.lsoa_la[self.oa_lsoa]
        region = self.la_region[la]
        regions = pa.array([r[0] for r in REGIONS])
        region_names = pa.array([r[1] for r in REGIONS])
        return pa.table(
            {
                "oa_code": self.oa_code,
                "lsoa_code": self.lsoa_code.take(pa.array(self.oa_lsoa)),
                "lsoa_name": self.lsoa_name.take(pa.array(self.oa_lsoa)),
                "la_code": self.la_code.take(pa.array(la)),
                "la_name": self.la_name.take(pa.array(la)),
                "region_code": regions.take(pa.array(region)),
                "region_name": region_names.take(pa.array(region)),
            }
        )

    def area_lookup(self, served: tuple[str, ...] = ()) -> AreaLookup:
        """Where each postcode, output area and LSOA lies: what ``in_area`` compiles with."""
        return lookup_from_rows(self.postcode_directory().to_pylist(), served=served)

    def postcode_directory(self) -> pa.Table:
        """Every postcode with its output area, like the ONS postcode directory."""
        oa = np.repeat(np.arange(self.n_oa, dtype=np.int64), POSTCODES_PER_OA)
        lsoa = self.oa_lsoa[oa]
        la = self.lsoa_la[lsoa]
        return pa.table(
            {
                "postcode": self.postcodes,
                "oa_code": self.oa_code.take(pa.array(oa)),
                "lsoa_code": self.lsoa_code.take(pa.array(lsoa)),
                "la_code": self.la_code.take(pa.array(la)),
                "region_code": pa.array([r[0] for r in REGIONS]).take(pa.array(self.la_region[la])),
            }
        )


def _sizes_cover(
    streams: Streams, name: str, total: int, draw: object, min_size: int
) -> tuple[IntArray, IntArray]:
    """Cut ``total`` items into consecutive groups whose sizes depend only on group index.

    Returns (group of each item, first item of each group plus a final end).
    """
    n_groups = total // min_size + 2
    index = np.arange(n_groups, dtype=np.int64)
    sizes = draw(streams, name, index)  # type: ignore[operator]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    used = int(np.searchsorted(starts, total, side="left"))
    starts = starts[: used + 1]
    group = np.searchsorted(starts, np.arange(total, dtype=np.int64), side="right") - 1
    return group.astype(np.int64), starts.astype(np.int64)


def _lsoa_sizes(streams: Streams, name: str, index: IntArray) -> IntArray:
    return LSOA_MIN_OAS + streams.below(name, index, LSOA_MAX_OAS - LSOA_MIN_OAS + 1)


def _la_sizes(streams: Streams, name: str, index: IntArray) -> IntArray:
    z = streams.normal(name, index)
    sizes = np.rint(LA_MEDIAN_LSOAS * np.exp(LA_SIGMA * z))
    return np.clip(sizes, LA_MIN_LSOAS, LA_MAX_LSOAS).astype(np.int64)


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _town_names(streams: Streams, name: str, count: int) -> list[str]:
    """Distinct invented town names (stem + suffix, sometimes a prefix)."""
    index = np.arange(count * 4 + 16, dtype=np.int64)
    stems = streams.below(f"{name}.stem", index, len(_TOWN_STEMS))
    suffixes = streams.below(f"{name}.suffix", index, len(_TOWN_SUFFIXES))
    prefixed = streams.uniform(f"{name}.prefixed", index) < 0.15
    prefixes = streams.below(f"{name}.prefix", index, len(_TOWN_PREFIXES))
    out: list[str] = []
    seen: set[str] = set()
    for i in range(len(index)):
        town = _TOWN_STEMS[stems[i]] + _TOWN_SUFFIXES[suffixes[i]]
        if prefixed[i]:
            town = _TOWN_PREFIXES[prefixes[i]] + town
        if town not in seen:
            seen.add(town)
            out.append(town)
            if len(out) == count:
                return out
    # More authorities than invented names: number the rest (only at enormous scales).
    return out + [f"{out[i % len(out)]} {i // len(out) + 1}" for i in range(len(out), count)]


def _area_codes(streams: Streams) -> list[str]:
    singles = list(_AREA_FIRST)
    pairs = [a + b for a in _AREA_FIRST for b in _AREA_SECOND]
    areas = singles + pairs
    order = np.argsort(streams.bits("geo.postcode.area", np.arange(len(areas))), kind="stable")
    return [areas[i] for i in order]


def build_geography(streams: Streams, n_persons: int) -> Geography:
    """The areas covering ``n_persons`` people (cheap: about 190,000 OAs at scale 1)."""
    n_oa = max(1, math.ceil(n_persons / PERSONS_PER_OA))
    oa_lsoa, lsoa_starts = _sizes_cover(streams, "geo.lsoa.size", n_oa, _lsoa_sizes, LSOA_MIN_OAS)
    n_lsoa = len(lsoa_starts) - 1
    lsoa_la, la_starts = _sizes_cover(streams, "geo.la.size", n_lsoa, _la_sizes, LA_MIN_LSOAS)
    n_la = len(la_starts) - 1
    la_index = np.arange(n_la, dtype=np.int64)
    la_region = streams.choice(
        "geo.la.region", la_index, cumulative([r[2] for r in REGIONS])
    ).astype(np.int64)
    la_kind = streams.choice("geo.la.kind", la_index, cumulative([0.2, 0.55, 0.25]))
    la_prefix = np.where(la_region == _LONDON, "E09", np.array(["E06", "E07", "E08"])[la_kind])
    la_code = [f"{la_prefix[j]}{900001 + j:06d}" for j in range(n_la)]
    la_name = _town_names(streams, "geo.la.name", n_la)

    lsoa_index = np.arange(n_lsoa, dtype=np.int64)
    lsoa_in_la = lsoa_index - la_starts[lsoa_la]
    lsoa_letter = streams.below("geo.lsoa.letter", lsoa_index, 5)
    lsoa_code = [f"E01{500000 + j:06d}" for j in range(n_lsoa)]
    lsoa_name = [
        f"{la_name[lsoa_la[j]]} {lsoa_in_la[j] + 1:03d}{'ABCDE'[lsoa_letter[j]]}"
        for j in range(n_lsoa)
    ]
    localities = _town_names(streams, "geo.locality", 4000)
    has_locality = streams.uniform("geo.lsoa.has_locality", lsoa_index) < 0.5
    locality_pick = streams.below("geo.lsoa.locality", lsoa_index, len(localities))
    lsoa_locality = pa.array(
        [localities[locality_pick[j]] if has_locality[j] else None for j in range(n_lsoa)],
        pa.string(),
    )

    oa_index = np.arange(n_oa, dtype=np.int64)
    oa_code = pc.binary_join_element_wise(
        "E00", pc.cast(pa.array(oa_index + 500000), pa.string()), ""
    )

    postcodes, streets = _postcodes_and_streets(streams, oa_lsoa, lsoa_starts)
    n_practice = n_oa // OAS_PER_PRACTICE + 1
    practice_oa = np.minimum(np.arange(n_practice) * OAS_PER_PRACTICE, n_oa - 1)
    practice_region = la_region[lsoa_la[oa_lsoa[practice_oa]]]
    letters = np.array([r[3] for r in REGIONS])[practice_region]
    practice_codes = pa.array(
        [f"{letters[p]}{10000 + p % 90000:05d}" for p in range(n_practice)], pa.string()
    )
    return Geography(
        n_oa=n_oa,
        oa_lsoa=oa_lsoa,
        lsoa_la=lsoa_la,
        la_region=la_region,
        oa_code=oa_code,
        lsoa_code=pa.array(lsoa_code, pa.string()),
        lsoa_name=pa.array(lsoa_name, pa.string()),
        lsoa_locality=lsoa_locality,
        la_code=pa.array(la_code, pa.string()),
        la_name=pa.array(la_name, pa.string()),
        postcodes=postcodes,
        streets=streets,
        practice_codes=practice_codes,
    )


def _postcodes_and_streets(
    streams: Streams, oa_lsoa: IntArray, lsoa_starts: IntArray
) -> tuple[pa.Array, pa.Array]:
    """One postcode and one street for each (output area, slot).

    Each LSOA is one postcode sector; its output areas' postcodes are distinct units of
    that sector, picked by a per-sector affine permutation of the 400 possible units.
    """
    n_oa = len(oa_lsoa)
    slot_oa = np.repeat(np.arange(n_oa, dtype=np.int64), POSTCODES_PER_OA)
    slot = np.tile(np.arange(POSTCODES_PER_OA, dtype=np.int64), n_oa)
    lsoa = oa_lsoa[slot_oa]
    oa_in_lsoa = slot_oa - lsoa_starts[lsoa]
    unit_seq = oa_in_lsoa * POSTCODES_PER_OA + slot
    sector_index = np.arange(len(lsoa_starts), dtype=np.int64)
    mult = _COPRIME_400[streams.below("geo.postcode.mult", sector_index, len(_COPRIME_400))]
    offset = streams.below("geo.postcode.offset", sector_index, _UNITS_PER_SECTOR)
    unit = (mult[lsoa] * unit_seq + offset[lsoa]) % _UNITS_PER_SECTOR

    district_global = lsoa // _SECTORS_PER_DISTRICT
    sector_digit = lsoa % _SECTORS_PER_DISTRICT + 1
    area = district_global // _DISTRICTS_PER_AREA
    district = district_global % _DISTRICTS_PER_AREA + 1
    areas = _area_codes(streams)
    if int(area.max(initial=0)) >= len(areas):
        raise ValueError("population too large for the synthetic postcode space")
    unit_letters = pa.array([a + b for a in _UNIT_LETTERS for b in _UNIT_LETTERS])
    postcodes = _join(
        pa.array(areas).take(pa.array(area)),
        pc.cast(pa.array(district), pa.string()),
        " ",
        pc.cast(pa.array(sector_digit), pa.string()),
        unit_letters.take(pa.array(unit)),
    )

    slot_index = np.arange(len(slot_oa), dtype=np.int64)
    stem = streams.below("geo.street.stem", slot_index, len(_STREET_STEMS))
    kind = streams.choice("geo.street.kind", slot_index, cumulative([w for _, w in _STREET_TYPES]))
    streets = _join(
        pa.array(_STREET_STEMS).take(pa.array(stem)),
        " ",
        pa.array([t for t, _ in _STREET_TYPES]).take(pa.array(kind)),
    )
    return postcodes, streets
