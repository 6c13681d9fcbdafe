"""Tests for seedlib.generator.brazil: documents, bank digits, CEPs, phones and the data files.

Check digits are judged by validate-docbr, an independent implementation; the vectorised functions
are compared with plain one-row-at-a-time Python written here; fixed examples are either published
(named next to them) or worked out by hand in the comments.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable
from importlib import resources

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from validate_docbr import CNPJ, CPF

from seedlib.generator import brazil

M9 = 111_111_111  # CPF repdigit bases are k * M9
M8 = 11_111_111  # CNPJ repdigit roots are k * M8
UINT64 = st.integers(0, 2**64 - 1)
I64 = np.int64
U64 = np.uint64


def i64(values) -> np.ndarray:
    return np.asarray(values, dtype=I64)


def u64(values) -> np.ndarray:
    return np.asarray(values, dtype=U64)


# --- independent scalar references ---------------------------------------------------------


def mod11(total: int) -> int:
    return 0 if total % 11 < 2 else 11 - total % 11


def cpf_ref(base: int) -> str:
    digits = [int(c) for c in f"{base:09d}"]
    digits.append(mod11(sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True))))
    digits.append(mod11(sum(d * w for d, w in zip(digits, range(11, 1, -1), strict=True))))
    return "".join(map(str, digits))


def cnpj_ref(root: int, branch: int) -> str:
    digits = [int(c) for c in f"{root:08d}{branch:04d}"]
    for weights in ([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]):
        digits.append(mod11(sum(d * w for d, w in zip(digits, weights, strict=True))))
    return "".join(map(str, digits))


def bb_ref(number: str) -> str:
    """Banco do Brasil: weights 2, 3, ... from the right; 11 - r, 10 -> X, 11 -> 0."""
    total = sum(int(d) * w for d, w in zip(reversed(number), range(2, 10), strict=False))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def cep_ref(ranges: tuple[tuple[int, int], ...], word: int) -> str:
    sizes = [(last // 1000 - first // 1000 + 1) * 900 for first, last in ranges]
    slot = word % sum(sizes)
    for (first, _), size in zip(ranges, sizes, strict=True):
        if slot < size:
            value = (first // 1000 + slot // 900) * 1000 + slot % 900
            return f"{value // 1000:05d}-{value % 1000:03d}"
        slot -= size
    raise AssertionError("unreachable")


def phone_ref(uf: int, word: int, mobile: bool) -> str:
    ddds = brazil.UFS[uf].ddds
    rest, which = divmod(word, len(ddds))
    if mobile:
        return f"+55{ddds[which]}9{rest % 10**8:08d}"
    lead, rest = divmod(rest, 10**7)
    return f"+55{ddds[which]}{2 + lead % 4}{rest:07d}"


def parse_cep(text: str) -> int:
    assert re.fullmatch(r"\d{5}-\d{3}", text), text
    return int(text.replace("-", ""))


# --- CPF -----------------------------------------------------------------------------------

bases = st.integers(0, 10**9 - 1)
non_repdigit_bases = bases.filter(lambda b: b % M9 != 0)


@pytest.mark.parametrize(
    ("base", "expected", "formatted"),
    [
        (529982247, "52998224725", "529.982.247-25"),  # the classic textbook example
        (111444777, "11144477735", "111.444.777-35"),  # another common published example
        # 000000001: d1 = mod11(1*2 = 2) = 9; d2 = mod11(1*3 + 9*2 = 21 -> 10) = 1
        (1, "00000000191", "000.000.001-91"),
    ],
)
def test_cpf_known_examples(base, expected, formatted):
    assert brazil.cpf(i64([base])) == [expected]
    assert brazil.cpf(i64([base]), formatted=True) == [formatted]
    assert brazil.cpf_check_digits(i64([base])).tolist() == [int(expected[-2:])]


@settings(max_examples=200)
@given(st.lists(non_repdigit_bases, min_size=1, max_size=40))
def test_cpf_is_valid_for_validate_docbr_and_its_only_valid_completion(values):
    validator = CPF()
    plain = brazil.cpf(i64(values))
    formatted = brazil.cpf(i64(values), formatted=True)
    for base, number, masked in zip(values, plain, formatted, strict=True):
        assert number[:9] == f"{base:09d}"
        assert validator.validate(number)
        assert masked == validator.mask(number)
        valid = [d for d in range(100) if validator.validate(f"{base:09d}{d:02d}")]
        assert valid == [int(number[9:])]


@given(st.lists(bases, min_size=1, max_size=40))
def test_cpf_check_digits_agree_with_validate_docbr_on_any_base(values):
    validator = CPF(repeated_digits=True)  # judge the digits alone, repdigits included
    for base, check in zip(values, brazil.cpf_check_digits(i64(values)).tolist(), strict=True):
        assert validator.validate(f"{base:09d}{check:02d}")


@pytest.mark.parametrize("digit", range(10))
def test_cpf_refuses_repdigit_bases_which_validators_reject(digit):
    base = digit * M9
    check = brazil.cpf_check_digits(i64([base]))[0]
    assert f"{base:09d}{check:02d}" == str(digit) * 11
    assert not CPF().validate(str(digit) * 11)
    with pytest.raises(ValueError, match="repdigit"):
        brazil.cpf(i64([5, base]))


def test_cpf_base_space_excludes_exactly_the_ten_repdigits():
    assert brazil.CPF_BASE_SPACE == 10**9 - 10
    assert brazil.CNPJ_ROOT_SPACE == 10**8 - 10


def test_cpf_base_from_rank_boundaries():
    last = brazil.CPF_BASE_SPACE - 1
    ranks = [0, 1, M9 - 2, M9 - 1, M9, 2 * (M9 - 1) - 1, 2 * (M9 - 1), last - 1, last]
    expected = [1, 2, M9 - 1, M9 + 1, M9 + 2, 2 * M9 - 1, 2 * M9 + 1, 999_999_997, 999_999_998]
    assert brazil.cpf_base_from_rank(i64(ranks)).tolist() == expected
    # Around every repdigit k * M9 (k = 1..8) the ranks step over it.
    k = np.arange(1, 9)
    before, after = k * (M9 - 1) - 1, k * (M9 - 1)
    assert (brazil.cpf_base_from_rank(before) == k * M9 - 1).all()
    assert (brazil.cpf_base_from_rank(after) == k * M9 + 1).all()


@given(st.lists(st.integers(0, 10**9 - 11), min_size=2, max_size=60, unique=True))
def test_cpf_base_from_rank_is_strictly_increasing_and_bijective(values):
    ranks = i64(sorted(values))
    out = brazil.cpf_base_from_rank(ranks)
    assert (np.diff(out) > 0).all()
    assert ((out > 0) & (out < 10**9) & (out % M9 != 0)).all()
    # rank = base - (number of repdigits <= base): an independent statement of the bijection.
    assert (out - (out // M9 + 1) == ranks).all()
    assert (brazil.cpf_rank_from_base(out) == ranks).all()


def test_cpf_base_from_rank_rejects_ranks_outside_the_space():
    for bad in ([-1], [brazil.CPF_BASE_SPACE]):
        with pytest.raises(ValueError, match="rank"):
            brazil.cpf_base_from_rank(i64(bad))
    with pytest.raises(ValueError, match="repdigit"):
        brazil.cpf_rank_from_base(i64([3 * M9]))


# --- CNPJ ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("root", "branch", "expected"),
    [
        (11222333, 1, "11.222.333/0001-81"),  # the classic textbook example
        (11444777, 1, "11.444.777/0001-61"),  # another common published example
        # 00000001/0001: d1 = mod11(1*6 + 1*2 = 8) = 3; d2 = mod11(1*7 + 1*3 + 3*2 = 16 -> 5) = 6
        (1, 1, "00.000.001/0001-36"),
    ],
)
def test_cnpj_known_examples(root, branch, expected):
    assert brazil.cnpj(i64([root]), branch, formatted=True) == [expected]
    assert brazil.cnpj(i64([root]), i64([branch])) == [re.sub(r"\D", "", expected)]
    check = int(expected[-2:])
    assert brazil.cnpj_check_digits(i64([root * 10**4 + branch])).tolist() == [check]


@settings(max_examples=200)
@given(
    st.lists(st.tuples(st.integers(0, 10**8 - 1), st.integers(1, 9999)), min_size=1, max_size=40)
)
def test_cnpj_is_valid_for_validate_docbr_and_its_only_valid_completion(pairs):
    validator = CNPJ()
    roots, branches = zip(*pairs, strict=True)
    plain = brazil.cnpj(i64(roots), i64(branches))
    formatted = brazil.cnpj(i64(roots), i64(branches), formatted=True)
    for (root, branch), number, masked in zip(pairs, plain, formatted, strict=True):
        assert number[:12] == f"{root:08d}{branch:04d}"
        assert validator.validate(number)
        assert masked == validator.mask(number)
        valid = [d for d in range(100) if validator.validate(f"{number[:12]}{d:02d}")]
        assert valid == [int(number[12:])]


def test_cnpj_head_office_is_the_default_branch_and_branch_zero_is_refused():
    assert brazil.cnpj(i64([11222333, 11444777])) == ["11222333000181", "11444777000161"]
    with pytest.raises(ValueError, match="branch"):
        brazil.cnpj(i64([11222333]), 0)
    with pytest.raises(ValueError, match="branch"):
        brazil.cnpj(i64([11222333]), 10**4)


@pytest.mark.parametrize("digit", range(1, 10))
def test_cnpj_with_repdigit_root_is_still_valid_but_skipped_by_rank(digit):
    root = digit * M8
    assert CNPJ().validate(brazil.cnpj(i64([root]))[0])
    step = digit * (M8 - 1)  # the rank just past the repdigit
    roots = brazil.cnpj_root_from_rank(np.arange(step - 2, min(step + 2, brazil.CNPJ_ROOT_SPACE)))
    assert root not in roots.tolist() and root - 1 in roots.tolist()


def test_cnpj_root_from_rank_boundaries_and_monotonicity():
    last = brazil.CNPJ_ROOT_SPACE - 1
    ranks = [0, M8 - 2, M8 - 1, last]
    assert brazil.cnpj_root_from_rank(i64(ranks)).tolist() == [1, M8 - 1, M8 + 1, 99_999_998]
    sample = np.sort(np.random.default_rng(7).choice(brazil.CNPJ_ROOT_SPACE, 5000, replace=False))
    roots = brazil.cnpj_root_from_rank(sample)
    assert (np.diff(roots) > 0).all() and (roots % M8 != 0).all()
    assert (brazil.cnpj_rank_from_root(roots) == sample).all()
    with pytest.raises(ValueError, match="rank"):
        brazil.cnpj_root_from_rank(i64([brazil.CNPJ_ROOT_SPACE]))


# --- bank accounts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        # 1*8 + 2*7 + 3*6 + 4*5 + 5*4 + 6*3 + 7*2 = 112; 112 % 11 = 2; 11 - 2 = 9
        (1234567, "1234567-9"),
        # 4*6 + 0*5 + 5*4 + 9*3 + 9*2 = 89; 89 % 11 = 1; 11 - 1 = 10 -> X
        (40599, "0040599-X"),
        # 0; 0 % 11 = 0; 11 - 0 = 11 -> 0
        (0, "0000000-0"),
        # 1*2 = 2 -> 9
        (1, "0000001-9"),
        # 5*2 = 10 -> 10 % 11 = 10 -> 1
        (5, "0000005-1"),
        # 6*2 = 12 -> 12 % 11 = 1 -> X
        (6, "0000006-X"),
        # 8+7+6+5+4+3+2 = 35 -> 35 % 11 = 2 -> 9
        (1111111, "1111111-9"),
        # 9*(8+7+6+5+4+3+2) = 315 -> 315 % 11 = 7 -> 4
        (9999999, "9999999-4"),
    ],
)
def test_account_check_digit_hand_computed(number, expected):
    assert brazil.account_check_digit(i64([number])) == [expected]
    assert brazil.account_number(i64([number])) == [expected]


@pytest.mark.parametrize(
    ("agency", "expected"),
    [
        ("0001", "0001-9"),  # 1*2 = 2 -> 9
        ("1234", "1234-3"),  # 1*5 + 2*4 + 3*3 + 4*2 = 30; 30 % 11 = 8 -> 3
        ("0006", "0006-X"),  # 6*2 = 12; 12 % 11 = 1 -> X
        ("0000", "0000-0"),  # 0 -> 11 -> 0
    ],
)
def test_agency_check_digit_hand_computed(agency, expected):
    assert brazil.agency_check_digit(i64([int(agency)])) == [expected]


@given(st.lists(st.integers(0, 10**7 - 1), min_size=1, max_size=50))
def test_account_check_digit_matches_the_scalar_rule(numbers):
    out = brazil.account_check_digit(i64(numbers))
    assert out == [f"{n:07d}-{bb_ref(f'{n:07d}')}" for n in numbers]


def test_account_check_digit_covers_every_digit_and_x():
    out = brazil.account_check_digit(np.arange(0, 10**7, 997))
    assert {s[-1] for s in out} == set("0123456789X")


# --- CEP -----------------------------------------------------------------------------------

# From the Correios table quoted in the brief (independent of seedlib/generator/data/ufs.tsv).
PUBLISHED_CEP_RANGES = {
    "RJ": ((20000000, 28999999),),
    "DF": ((70000000, 72799999), (73000000, 73699999)),
    "GO": ((72800000, 72999999), (73700000, 76799999)),
    "AM": ((69000000, 69299999), (69400000, 69899999)),
}


def inside(value: int, ranges) -> bool:
    return any(first <= value <= last for first, last in ranges)


def test_cep_ranges_match_the_published_ones():
    for code, ranges in PUBLISHED_CEP_RANGES.items():
        assert brazil.UFS[brazil.UF_INDEX[code]].cep_ranges == ranges
    sp = brazil.UFS[brazil.UF_INDEX["SP"]].cep_ranges
    assert all(first >= 1000000 and last <= 19999999 for first, last in sp)


def test_uf_cep_ranges_never_overlap():
    ranges = sorted(r for uf in brazil.UFS for r in uf.cep_ranges)
    for (_, last), (first, _) in itertools.pairwise(ranges):
        assert last < first


@settings(max_examples=50)
@given(st.lists(st.tuples(st.integers(0, 26), UINT64), min_size=1, max_size=100))
def test_every_cep_lies_inside_its_uf_ranges_with_a_street_suffix(rows):
    ufs, words = zip(*rows, strict=True)
    for uf, text in zip(ufs, brazil.cep(i64(ufs), u64(words)), strict=True):
        value = parse_cep(text)
        assert inside(value, brazil.UFS[uf].cep_ranges)
        assert value % 1000 < 900


@pytest.mark.parametrize("uf", range(27))
def test_cep_reaches_both_ends_and_every_range_of_each_uf(uf):
    ranges = brazil.UFS[uf].cep_ranges
    size = sum((last // 1000 - first // 1000 + 1) * 900 for first, last in ranges)
    words = u64([0, size - 1, size, 2**64 - 1, *range(0, size, max(1, size // 5000))])
    values = [parse_cep(s) for s in brazil.cep(np.full(len(words), uf, dtype=I64), words)]
    assert values[0] == ranges[0][0]
    assert values[1] == ranges[-1][1] - 100  # the last prefix with suffix 899
    assert values[2] == ranges[0][0]  # wraps around
    for first, last in ranges:
        assert any(first <= v <= last for v in values)


def test_cities_lie_inside_their_uf_and_city_cep_inside_the_city():
    assert len(brazil.CITIES) == sum(len(uf.cities) for uf in brazil.UFS)
    for i, city in enumerate(brazil.CITIES):
        uf = brazil.UFS[city.uf_index]
        assert city.uf == uf.code
        assert brazil.CITIES[uf.first_city + uf.cities.index(city.name)] is city
        for first, last in city.cep_ranges:
            assert inside(first, uf.cep_ranges) and inside(last, uf.cep_ranges)
        words = u64(np.arange(0, 2**63, 2**63 // 400, dtype=np.uint64))
        values = [parse_cep(s) for s in brazil.city_cep(np.full(len(words), i), words)]
        assert all(inside(v, city.cep_ranges) and v % 1000 < 900 for v in values)
    capitals = {c.name for c in brazil.CITIES}
    assert {"São Paulo", "Rio de Janeiro", "Brasília", "Salvador", "Manaus"} <= capitals


def test_city_index_picks_a_city_of_the_rows_uf():
    ufs = np.repeat(np.arange(27), 50)
    words = u64(np.arange(ufs.size, dtype=np.uint64) * U64(0x9E3779B97F4A7C15))
    for uf, index in zip(ufs.tolist(), brazil.city_index(ufs, words).tolist(), strict=True):
        assert brazil.CITIES[index].uf_index == uf


# --- phones --------------------------------------------------------------------------------

# Anatel's area codes (independent of seedlib/generator/data/ufs.tsv).
# fmt: off
PUBLISHED_DDDS = {
    "AC": {68}, "AL": {82}, "AM": {92, 97}, "AP": {96}, "BA": {71, 73, 74, 75, 77},
    "CE": {85, 88}, "DF": {61}, "ES": {27, 28}, "GO": {62, 64}, "MA": {98, 99},
    "MG": {31, 32, 33, 34, 35, 37, 38}, "MS": {67}, "MT": {65, 66}, "PA": {91, 93, 94},
    "PB": {83}, "PE": {81, 87}, "PI": {86, 89}, "PR": {41, 42, 43, 44, 45, 46},
    "RJ": {21, 22, 24}, "RN": {84}, "RO": {69}, "RR": {95}, "RS": {51, 53, 54, 55},
    "SC": {47, 48, 49}, "SE": {79}, "SP": set(range(11, 20)), "TO": {63},
}
# fmt: on


def test_ddds_are_the_published_ones():
    assert {uf.code: set(uf.ddds) for uf in brazil.UFS} == PUBLISHED_DDDS
    assert sum(len(d) for d in PUBLISHED_DDDS.values()) == 67


@settings(max_examples=50)
@given(st.lists(st.tuples(st.integers(0, 26), UINT64), min_size=1, max_size=100), st.booleans())
def test_every_phone_has_a_ddd_of_its_uf_and_the_right_shape(rows, mobile):
    ufs, words = zip(*rows, strict=True)
    pattern = r"\+55(\d\d)9\d{8}" if mobile else r"\+55(\d\d)[2-5]\d{7}"
    for uf, text in zip(ufs, brazil.phone(i64(ufs), u64(words), mobile=mobile), strict=True):
        match = re.fullmatch(pattern, text)
        assert match, text
        assert int(match[1]) in PUBLISHED_DDDS[brazil.UFS[uf].code]


def test_phone_reaches_every_ddd_and_every_landline_lead():
    ufs = np.repeat(np.arange(27), 200)
    words = u64(np.arange(ufs.size, dtype=np.uint64) * U64(0x9E3779B97F4A7C15))
    mobiles = brazil.phone(ufs, words)
    landlines = brazil.phone(ufs, words, mobile=False)
    assert {int(p[3:5]) for p in mobiles} == set().union(*PUBLISHED_DDDS.values())
    assert {p[5] for p in landlines} == set("2345")
    assert {len(p) for p in mobiles} == {14} and {len(p) for p in landlines} == {13}


# --- UF weights ----------------------------------------------------------------------------


def test_uf_index_from_word_follows_the_weights_exactly_over_a_full_cycle():
    counts = np.bincount(brazil.uf_index_from_word(np.arange(1000, dtype=np.uint64)), minlength=27)
    assert counts.tolist() == [uf.weight for uf in brazil.UFS]


# --- vectorised == one row at a time -------------------------------------------------------

N = 100_000


@pytest.fixture(scope="module")
def rows():
    rng = np.random.default_rng(20240601)
    return {
        "rank": rng.integers(0, brazil.CPF_BASE_SPACE, N),
        "root": rng.integers(0, 10**8, N),
        "branch": rng.integers(1, 10**4, N),
        "account": rng.integers(0, 10**7, N),
        "uf": rng.integers(0, 27, N),
        "word": rng.integers(0, 2**64 - 1, N, dtype=np.uint64, endpoint=True),
    }


def test_vectorised_documents_equal_the_scalar_reference(rows):
    bases = brazil.cpf_base_from_rank(rows["rank"])
    assert brazil.cpf(bases) == [cpf_ref(b) for b in bases.tolist()]
    pairs = zip(rows["root"].tolist(), rows["branch"].tolist(), strict=True)
    assert brazil.cnpj(rows["root"], rows["branch"]) == [cnpj_ref(r, b) for r, b in pairs]
    accounts = [f"{n:07d}" for n in rows["account"].tolist()]
    assert brazil.account_check_digit(rows["account"]) == [f"{a}-{bb_ref(a)}" for a in accounts]


def test_vectorised_ceps_and_phones_equal_the_scalar_reference(rows):
    ufs, words = rows["uf"].tolist(), rows["word"].tolist()
    pairs = list(zip(ufs, words, strict=True))
    assert brazil.cep(rows["uf"], rows["word"]) == [
        cep_ref(brazil.UFS[u].cep_ranges, w) for u, w in pairs
    ]
    for mobile in (True, False):
        out = brazil.phone(rows["uf"], rows["word"], mobile=mobile)
        assert out == [phone_ref(u, w, mobile) for u, w in pairs]


def test_vectorised_equals_the_module_called_one_row_at_a_time(rows):
    """Batching never changes a row: the batch result equals single-row calls (a sample)."""
    sample = np.random.default_rng(3).choice(N, 1500, replace=False)
    bases = brazil.cpf_base_from_rank(rows["rank"])
    batch = {
        "cpf": brazil.cpf(bases, formatted=True),
        "cnpj": brazil.cnpj(rows["root"], rows["branch"], formatted=True),
        "account": brazil.account_check_digit(rows["account"]),
        "cep": brazil.cep(rows["uf"], rows["word"]),
        "phone": brazil.phone(rows["uf"], rows["word"]),
    }
    for i in sample.tolist():
        one = slice(i, i + 1)
        assert brazil.cpf(bases[one], formatted=True) == [batch["cpf"][i]]
        assert brazil.cnpj(rows["root"][one], rows["branch"][one], formatted=True) == [
            batch["cnpj"][i]
        ]
        assert brazil.account_check_digit(rows["account"][one]) == [batch["account"][i]]
        assert brazil.cep(rows["uf"][one], rows["word"][one]) == [batch["cep"][i]]
        assert brazil.phone(rows["uf"][one], rows["word"][one]) == [batch["phone"][i]]


def test_functions_are_pure(rows):
    before = {k: v.copy() for k, v in rows.items()}
    first = brazil.phone(rows["uf"][:1000], rows["word"][:1000])
    assert brazil.phone(rows["uf"][:1000], rows["word"][:1000]) == first
    brazil.cep(rows["uf"], rows["word"])
    brazil.cpf(brazil.cpf_base_from_rank(rows["rank"]))
    for key, value in rows.items():
        assert np.array_equal(value, before[key])


# --- input checking ------------------------------------------------------------------------


def test_empty_inputs_give_empty_lists():
    empty = np.zeros(0, dtype=I64)
    assert brazil.cpf(empty) == []
    assert brazil.cnpj(empty) == []
    assert brazil.cep(empty, np.zeros(0, dtype=U64)) == []
    assert brazil.phone(empty, np.zeros(0, dtype=U64)) == []
    assert brazil.cpf_check_digits(empty).shape == (0,)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: brazil.cpf(i64([10**9])), ValueError),
        (lambda: brazil.cpf(i64([-1])), ValueError),
        (lambda: brazil.cpf(np.array([1.5])), TypeError),
        (lambda: brazil.cpf(i64([[1, 2]])), ValueError),
        (lambda: brazil.cnpj(i64([10**8])), ValueError),
        (lambda: brazil.cnpj(i64([1, 2]), i64([1, 2, 3])), ValueError),
        (lambda: brazil.account_check_digit(i64([10**7])), ValueError),
        (lambda: brazil.cep(i64([27]), u64([0])), ValueError),
        (lambda: brazil.cep(i64([0, 1]), u64([0])), ValueError),
        (lambda: brazil.phone(i64([0]), i64([-5])), ValueError),
        (lambda: brazil.city_cep(i64([len(brazil.CITIES)]), u64([0])), ValueError),
    ],
)
def test_bad_inputs_are_refused(call, error):
    with pytest.raises(error):
        call()


# --- data files ----------------------------------------------------------------------------

LISTS: dict[str, tuple[Callable[[], tuple[str, ...]], int]] = {
    "first_names_female.txt": (lambda: brazil.first_names(female=True), 150),
    "first_names_male.txt": (lambda: brazil.first_names(female=False), 150),
    "surnames.txt": (brazil.surnames, 200),
    "street_names.txt": (brazil.street_names, 150),
    "districts.txt": (brazil.districts, 100),
    "company_words.txt": (brazil.company_words, 100),
}


def data_text(name: str) -> str:
    return resources.files("seedlib.generator").joinpath("data", name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(LISTS))
def test_name_lists_are_sorted_unique_clean_and_large_enough(name):
    loader, minimum = LISTS[name]
    text = data_text(name)
    assert text.endswith("\n") and "\r" not in text
    lines = text[:-1].split("\n")
    assert lines == sorted(set(lines))
    assert len(lines) >= minimum
    for line in lines:
        assert line and line == line.strip() and "  " not in line, repr(line)
        assert "\t" not in line and "\\" not in line, repr(line)
        assert all(c.isprintable() for c in line), repr(line)
        assert unicodedata.is_normalized("NFC", line), repr(line)
    assert loader() == tuple(lines)
    assert loader() is loader()  # cached


def test_name_lists_do_not_mix_up():
    female, male = set(brazil.first_names(female=True)), set(brazil.first_names(female=False))
    assert not female & male
    assert {"Maria", "Ana"} <= female and {"José", "João"} <= male
    assert {"Silva", "Santos", "Oliveira"} <= set(brazil.surnames())
    assert "Centro" in brazil.districts()
    assert {"Rua das Flores", "Avenida Brasil", "Rua XV de Novembro"} <= set(brazil.street_names())
    assert brazil.COMPANY_SUFFIXES == ("Ltda", "S.A.", "ME", "EPP")
    assert not set(brazil.COMPANY_SUFFIXES) & set(brazil.company_words())


def test_ufs_table():
    assert [uf.code for uf in brazil.UFS] == sorted(PUBLISHED_DDDS)
    assert len({uf.name for uf in brazil.UFS}) == 27
    assert sum(uf.weight for uf in brazil.UFS) == 1000  # per-mille
    assert all(uf.weight >= 1 for uf in brazil.UFS)
    top = sorted(brazil.UFS, key=lambda uf: -uf.weight)[:3]
    assert [uf.code for uf in top] == ["SP", "MG", "RJ"]
    for uf in brazil.UFS:
        assert uf.ddds and uf.cep_ranges and uf.cities
        assert 0 <= uf.cpf_region <= 9
        for first, last in uf.cep_ranges:
            assert first % 1000 == 0 and last % 1000 == 999 and first < last
    region = {uf.code: uf.cpf_region for uf in brazil.UFS}
    assert (region["SP"], region["RS"], region["MG"], region["RJ"]) == (8, 0, 6, 7)
    assert dict(brazil.UF_INDEX) == {uf.code: i for i, uf in enumerate(brazil.UFS)}
