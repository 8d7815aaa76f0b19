"""Market entities (市场主体): companies, sole proprietors, partnerships, shops and cooperatives."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass
from typing import Any

from gateway.demo.identifiers import organisation_code, uscc
from gateway.demo.people import PersonFactory, mobile, random_date
from gateway.demo.places import Place, allocate

#: Last day an entity in the demo was established (the data's reference date is 2026-11-28).
LAST_ESTABLISHED = dt.date(2026, 11, 20)
#: Organisation codes have been issued together with USCCs (the ``MA…`` series) since then.
USCC_ERA = dt.date(2015, 10, 1)

#: Characters of trade names (字号), two of them make one: 华信, 恒通, 瑞达.
TRADE_FIRST = tuple(
    "华恒信泰盛鑫宏博瑞创启天嘉安达汇通金中新德利兴隆源长和正宇"
    "海星光明东远联诚睿航卓锐智精云晟昊凯腾捷顺丰润佳永福万国亿百益盈"
)
TRADE_SECOND = tuple(
    "信通达泰盛源宇创新华科锐远成鼎峰辰晨阳航博丰和益润联祥兴安发汇泽运合展耀辉磊森业邦诺维"
)

#: Industry words of company names with their GB/T 4754-2017 class, and whether they are
#: technology-led (such companies hold most patents).
COMPANY_INDUSTRIES: tuple[tuple[str, str, bool], ...] = (
    ("科技", "I6513", True),
    ("信息技术", "I6531", True),
    ("网络科技", "I6429", True),
    ("软件", "I6511", True),
    ("数据科技", "I6550", True),
    ("智能科技", "I6532", True),
    ("电子科技", "C3989", True),
    ("生物科技", "M7340", True),
    ("医药科技", "C2720", True),
    ("新材料", "C2659", True),
    ("新能源", "D4416", True),
    ("环保科技", "N7721", True),
    ("检测技术", "M7452", True),
    ("工程设计", "M7483", True),
    ("机械设备", "C3490", True),
    ("化工", "C2614", True),
    ("建筑工程", "E4710", False),
    ("装饰工程", "E5011", False),
    ("物流", "G5821", False),
    ("供应链管理", "L7224", False),
    ("商贸", "F5199", False),
    ("建材", "F5165", False),
    ("汽车销售", "F5261", False),
    ("餐饮管理", "H6210", False),
    ("酒店管理", "H6110", False),
    ("文化传媒", "R8890", False),
    ("广告", "L7259", False),
    ("企业管理咨询", "L7243", False),
    ("投资管理", "L7212", False),
    ("人力资源", "L7262", False),
    ("教育咨询", "P8394", False),
    ("房地产开发", "K7010", False),
    ("物业管理", "K7020", False),
    ("钢铁", "C3130", False),
    ("食品", "C1499", False),
    ("服装", "C1810", False),
    ("家具", "C2110", False),
    ("印刷", "C2319", False),
    ("旅行社", "L7291", False),
    ("金融信息服务", "J6940", False),
)
SOLE_PROPRIETOR_INDUSTRIES = (
    ("商贸", "F5199"),
    ("企业管理咨询", "L7243"),
    ("文化传媒", "R8890"),
    ("餐饮管理", "H6210"),
    ("建材", "F5165"),
    ("设计", "M7492"),
)
PARTNERSHIP_INDUSTRIES = (("投资管理", "L7212"), ("企业管理咨询", "L7243"), ("股权投资", "J6760"))
SHOPS = (
    ("便利店", "F5213"),
    ("水果店", "F5223"),
    ("小吃店", "H6291"),
    ("面馆", "H6220"),
    ("理发店", "O8040"),
    ("五金店", "F5281"),
    ("汽车修理部", "O8111"),
    ("服装店", "F5232"),
    ("药店", "F5251"),
    ("快餐店", "H6220"),
    ("茶馆", "H6231"),
    ("文具店", "F5241"),
    ("家电维修部", "O8121"),
    ("超市", "F5212"),
)
COOPERATIVES = (
    ("蔬菜种植", "A0141"),
    ("果品种植", "A0151"),
    ("中药材种植", "A0171"),
    ("生猪养殖", "A0313"),
    ("奶牛养殖", "A0311"),
    ("苗木种植", "A0212"),
    ("农机服务", "A0514"),
)
ENTITY_TYPES = (
    "有限责任公司",
    "股份有限公司",
    "个人独资企业",
    "合伙企业",
    "个体工商户",
    "农民专业合作社",
)
STATUSES = ("存续", "在业", "迁出", "吊销", "注销")
STATUS_WEIGHTS = (78, 6, 2, 5, 9)
LLC_CAPITAL = (10.0, 30.0, 50.0, 100.0, 200.0, 300.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0)
LLC_CAPITAL_WEIGHTS = (6, 5, 10, 20, 10, 8, 12, 10, 6, 3, 1)
_YEARS = tuple(range(1995, LAST_ESTABLISHED.year + 1))
_YEAR_WEIGHTS = tuple(itertools.accumulate(1 + (y - 1995) * 0.3 for y in _YEARS))


@dataclass(frozen=True, slots=True)
class MarketEntity:
    """One generated entity: its record (catalogue field names) and what other datasets need."""

    record: dict[str, Any]
    place: Place
    established: dt.date
    technology: bool

    @property
    def credit_code(self) -> str:
        return str(self.record["creditCode"])

    @property
    def name(self) -> str:
        return str(self.record["name"])

    @property
    def active(self) -> bool:
        return self.record["status"] in ("存续", "在业")

    @property
    def company(self) -> bool:
        return self.record["entityType"] in ("有限责任公司", "股份有限公司")


def generate_entities(
    rng: random.Random, places: tuple[Place, ...], total: int, persons: PersonFactory
) -> list[MarketEntity]:
    """``total`` entities spread over the places by weight, names unique within the province."""
    names: set[str] = set()
    codes: set[str] = set()
    entities: list[MarketEntity] = []
    for place, count in zip(places, allocate(total, places), strict=True):
        for _ in range(count):
            entities.append(_entity(rng, place, persons, names, codes))
    return entities


def established_date(rng: random.Random) -> dt.date:
    """Registration dates from 1995 on, more of them in recent years."""
    year = rng.choices(_YEARS, cum_weights=_YEAR_WEIGHTS)[0]
    last = min(dt.date(year, 12, 31), LAST_ESTABLISHED)
    return random_date(rng, dt.date(year, 1, 1), last)


def address(rng: random.Random, place: Place) -> str:
    """A domicile such as 北京市海淀区中关村大街27号3幢5层502室."""
    street = f"{place.locality}{rng.choice(place.streets)}{rng.randrange(1, 300)}号"
    roll = rng.random()
    floor = rng.randrange(1, 25)
    if roll < 0.45:
        return street
    if roll < 0.8:
        return f"{street}{rng.randrange(1, 12)}幢{floor}层{floor}{rng.randrange(1, 30):02d}室"
    return f"{street}{floor}层{floor}{rng.randrange(1, 30):02d}"


def _entity_type(rng: random.Random, place: Place) -> str:
    cooperative = 5.0 if place.county else 0.3
    return rng.choices(ENTITY_TYPES, (70, 4, 4, 3, 17, cooperative))[0]


def _name(rng: random.Random, place: Place, entity_type: str, owner: str) -> tuple[str, str, bool]:
    """Name, industry code and technology flag for an entity of the type."""
    trade = rng.choice(TRADE_FIRST) + rng.choice(TRADE_SECOND)
    prefix = place.top_short + (place.short if place.short != place.top_short else "")
    if rng.random() < 0.3:
        prefix = place.top_short
    if entity_type == "有限责任公司":
        word, code, tech = rng.choice(COMPANY_INDUSTRIES)
        return f"{prefix}{trade}{word}有限公司", code, tech
    if entity_type == "股份有限公司":
        word, code, tech = rng.choice(COMPANY_INDUSTRIES)
        return f"{prefix}{trade}{word}股份有限公司", code, tech
    if entity_type == "个人独资企业":
        word, code = rng.choice(SOLE_PROPRIETOR_INDUSTRIES)
        return f"{prefix}{trade}{word}中心", code, False
    if entity_type == "合伙企业":
        word, code = rng.choice(PARTNERSHIP_INDUSTRIES)
        return f"{prefix}{trade}{word}中心（有限合伙）", code, False
    if entity_type == "个体工商户":
        word, code = rng.choice(SHOPS)
        shop = f"{owner[0]}记" if rng.random() < 0.4 else trade
        return f"{place.office_locality}{shop}{word}", code, False
    word, code = rng.choice(COOPERATIVES)
    return f"{place.zh}{trade}{word}专业合作社", code, False


def _capital(rng: random.Random, entity_type: str) -> float:
    """Registered capital in 10,000 CNY."""
    if entity_type == "有限责任公司":
        return rng.choices(LLC_CAPITAL, LLC_CAPITAL_WEIGHTS)[0]
    if entity_type == "股份有限公司":
        return float(rng.choice((1000, 3000, 5000, 8000, 10000, 20000, 50000, 120000)))
    if entity_type == "合伙企业":
        return float(rng.choice((100, 500, 1000, 3000, 10000, 30000)))
    if entity_type == "个体工商户":
        return float(rng.choice((1, 2, 3, 5, 10, 20, 30)))
    return float(rng.choice((10, 30, 50, 100, 200, 500)))


def _entity(
    rng: random.Random, place: Place, persons: PersonFactory, names: set[str], codes: set[str]
) -> MarketEntity:
    established = established_date(rng)
    entity_type = _entity_type(rng, place)
    # The legal representative was between 20 and 65 when the entity was registered.
    born_to = min(dt.date(established.year - 20, 12, 31), dt.date(2003, 12, 31))
    born_from = max(dt.date(established.year - 65, 1, 1), dt.date(1955, 1, 1))
    rep = persons.person(born_from, born_to)
    for _ in range(100):
        name, industry, tech = _name(rng, place, entity_type, rep.name)
        if name not in names:
            break
    else:
        raise RuntimeError(f"could not find a free entity name in {place.code}")
    names.add(name)
    # GB 32100-2015 appendix: registration authority 9 (market regulation), type 1 enterprise,
    # 2 individual business, 3 farmers' cooperative.
    registration = {"个体工商户": "92", "农民专业合作社": "93"}.get(entity_type, "91")
    while True:
        org = organisation_code(rng, issued_after_2015=established >= USCC_ERA)
        code = uscc(registration, place.code, org)
        if code not in codes:
            codes.add(code)
            break
    recent = (LAST_ESTABLISHED - established).days < 365
    status = "存续" if recent and rng.random() < 0.95 else rng.choices(STATUSES, STATUS_WEIGHTS)[0]
    record: dict[str, Any] = {
        "creditCode": code,
        "name": name,
        "entityType": entity_type,
        "legalRepName": rep.name,
        "legalRepId": rep.resident_id,
        "registeredCapital": _capital(rng, entity_type),
        "establishedDate": established.isoformat(),
        "status": status,
        "industryCode": industry,
        "regionCode": place.code,
        "address": address(rng, place),
        "contactPhone": rep.phone if rng.random() < 0.6 else mobile(rng),
        "registrationAuthority": f"{place.office_locality}市场监督管理局",
    }
    return MarketEntity(record, place, established, tech)
