"""Synthetic persons: Chinese names, dates of birth, resident IDs and mobile numbers."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.demo.identifiers import resident_id

# Common surnames with rough relative frequencies, and a few compound ones.
SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 72),
    ("李", 70),
    ("张", 68),
    ("刘", 55),
    ("陈", 46),
    ("杨", 32),
    ("赵", 22),
    ("黄", 22),
    ("周", 20),
    ("吴", 20),
    ("徐", 15),
    ("孙", 15),
    ("胡", 13),
    ("朱", 13),
    ("高", 12),
    ("林", 11),
    ("何", 11),
    ("郭", 11),
    ("马", 10),
    ("罗", 9),
    ("梁", 8),
    ("宋", 8),
    ("郑", 8),
    ("谢", 7),
    ("韩", 7),
    ("唐", 7),
    ("冯", 7),
    ("于", 7),
    ("董", 6),
    ("萧", 3),
    ("程", 6),
    ("曹", 6),
    ("袁", 5),
    ("邓", 5),
    ("许", 5),
    ("傅", 4),
    ("沈", 4),
    ("曾", 4),
    ("彭", 4),
    ("吕", 4),
    ("苏", 4),
    ("卢", 4),
    ("蒋", 4),
    ("蔡", 4),
    ("贾", 4),
    ("丁", 4),
    ("魏", 4),
    ("薛", 3),
    ("叶", 3),
    ("阎", 3),
    ("余", 3),
    ("潘", 3),
    ("杜", 3),
    ("戴", 3),
    ("夏", 3),
    ("钟", 3),
    ("汪", 3),
    ("田", 3),
    ("任", 3),
    ("姜", 3),
    ("范", 3),
    ("方", 3),
    ("石", 3),
    ("姚", 3),
    ("谭", 2),
    ("廖", 2),
    ("邹", 2),
    ("熊", 2),
    ("金", 2),
    ("陆", 2),
    ("郝", 2),
    ("孔", 2),
    ("白", 2),
    ("崔", 2),
    ("康", 2),
    ("毛", 2),
    ("邱", 2),
    ("秦", 2),
    ("江", 2),
    ("史", 2),
    ("顾", 2),
    ("侯", 2),
    ("邵", 2),
    ("孟", 2),
    ("龙", 2),
    ("万", 2),
    ("段", 2),
    ("钱", 2),
    ("汤", 2),
    ("尹", 2),
    ("黎", 1),
    ("易", 1),
    ("常", 2),
    ("武", 2),
    ("乔", 2),
    ("贺", 2),
    ("赖", 1),
    ("龚", 1),
    ("文", 1),
    ("庞", 1),
    ("樊", 1),
    ("兰", 1),
    ("殷", 1),
    ("施", 1),
    ("欧阳", 1),
    ("司马", 1),
    ("上官", 1),
    ("诸葛", 1),
    ("东方", 1),
    ("皇甫", 1),
    ("慕容", 1),
)
_SURNAME_NAMES = tuple(s for s, _ in SURNAMES)
_SURNAME_WEIGHTS = tuple(itertools.accumulate(w for _, w in SURNAMES))

MALE_CHARS = tuple(
    "伟强磊军勇杰涛明超斌鹏辉刚浩宇轩博文俊晨建国志海峰林亮平东波华飞永金成凯帅鑫晓天昊然睿泽洋思远嘉航"
    "铭振宏德立新春祥瑞卫兵松庆保福生龙"
)
FEMALE_CHARS = tuple(
    "芳娜敏静丽艳娟霞秀英玲燕红梅琳雪婷慧颖欣怡佳雨萱梓涵琪悦诗晶瑶倩婧璐丹洁莉蕾薇萍淑兰凤云彤月馨"
)

#: Where persons were born, besides the leaf regions: other real division codes of each province,
#: retired ones included (崇文 110103, 宣武 110104, 塘沽 120107, 石家庄桥东 130103).
HOME_EXTRA_CODES: dict[str, tuple[str, ...]] = {
    "110000": ("110103", "110104", "110106", "110107", "110111", "110114", "110115"),
    "120000": ("120102", "120105", "120106", "120107", "120108", "120109", "120110", "120111"),
    "130000": (
        "130103",
        "130203",
        "130302",
        "130402",
        "130502",
        "130702",
        "130802",
        "130902",
        "131102",
        "130624",
        "130681",
    ),
}
#: Birth regions in other provinces (provincial capitals' central districts).
ELSEWHERE_CODES = (
    "140105",
    "150102",
    "210102",
    "220102",
    "230103",
    "320102",
    "330106",
    "340104",
    "350102",
    "360102",
    "370102",
    "370202",
    "410105",
    "420106",
    "430102",
    "440106",
    "450103",
    "500103",
    "510104",
    "520102",
    "530102",
    "610113",
    "620102",
)
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    male: bool
    birth: dt.date
    resident_id: str
    phone: str

    @property
    def gender(self) -> str:
        return "男" if self.male else "女"


def random_date(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    """A day between first and last, both included."""
    return first + dt.timedelta(days=rng.randrange((last - first).days + 1))


def person_name(rng: random.Random, male: bool) -> str:
    """A surname and one or two given-name characters: 王伟, 欧阳晓梅."""
    surname = rng.choices(_SURNAME_NAMES, cum_weights=_SURNAME_WEIGHTS)[0]
    chars = MALE_CHARS if male else FEMALE_CHARS
    given = rng.choice(chars) if rng.random() < 0.3 else rng.choice(chars) + rng.choice(chars)
    return surname + given


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


class PersonFactory:
    """Makes persons of one province with distinct resident IDs (``used`` may be shared)."""

    def __init__(
        self,
        rng: random.Random,
        province: str,
        leaves: Sequence[str],
        others: Sequence[str],
        used: set[str] | None = None,
    ) -> None:
        self._rng = rng
        self._home = tuple(leaves) + HOME_EXTRA_CODES.get(province, ())
        self._others = tuple(others)
        self._used = used if used is not None else set()

    def birth_region(self) -> str:
        roll = self._rng.random()
        if roll < 0.7 or not (self._others or ELSEWHERE_CODES):
            return self._rng.choice(self._home)
        if roll < 0.82 and self._others:
            return self._rng.choice(self._others)
        return self._rng.choice(ELSEWHERE_CODES)

    def person(self, born_from: dt.date, born_to: dt.date) -> Person:
        rng = self._rng
        male = rng.random() < 0.52
        while True:
            birth = random_date(rng, born_from, born_to)
            # GB 11643-1999 §6.3: the sequence code is odd for men and even for women.
            sequence = rng.randrange(2, 1000)
            if (sequence % 2 == 1) != male:
                sequence ^= 1
            code = resident_id(self.birth_region(), birth, sequence)
            if code not in self._used:
                self._used.add(code)
                break
        return Person(person_name(rng, male), male, birth, code, mobile(rng))
