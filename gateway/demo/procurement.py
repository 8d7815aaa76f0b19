"""Government procurement award notices of the districts' purchasing bodies."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from gateway.demo.market_entities import MarketEntity
from gateway.demo.people import random_date
from gateway.demo.places import Place, allocate, words

#: Purchasing bodies of a district (Beijing's district bodies are 委员会 where others are 局).
PURCHASERS = (
    "教育{c}",
    "卫生健康{c}",
    "城市管理{c}",
    "住房和城乡建设{c}",
    "财政局",
    "民政局",
    "生态环境局",
    "水务局",
    "园林绿化局",
    "交通运输局",
    "政务服务管理局",
    "市场监督管理局",
    "人民政府办公室",
    "第一中学",
    "人民医院",
    "实验小学",
)
ITEMS = {
    "货物": words(
        "多媒体教学设备 办公家具 计算机及外部设备 医疗设备 环境监测设备 "
        "执法记录仪 图书 新能源公务用车 应急物资 食堂厨房设备"
    ),
    "工程": words(
        "道路维修改造工程 老旧小区综合整治工程 校舍抗震加固工程 雨污分流改造工程 "
        "公园绿化提升工程 办公楼节能改造工程"
    ),
    "服务": words(
        "物业管理服务 信息系统运维服务 安保服务 食堂餐饮服务 审计服务 "
        "法律顾问服务 保洁服务 政务云服务 规划编制服务"
    ),
}
CATEGORIES = ("货物", "工程", "服务")
#: GB/T 4754 sections whose enterprises usually win each category (trade and manufacturing sell
#: goods, construction builds, services come from business, IT, property and research firms).
SUPPLIER_SECTIONS = {"货物": "CFI", "工程": "E", "服务": "HIKLMNPR"}
CATEGORY_WEIGHTS = (45, 20, 35)
#: Award amounts (CNY) by category, as lower and upper bounds.
AMOUNTS = {"货物": (50_000, 5_000_000), "工程": (500_000, 50_000_000), "服务": (50_000, 8_000_000)}
METHODS = ("公开招标", "邀请招标", "竞争性谈判", "竞争性磋商", "询价", "单一来源")
METHOD_WEIGHTS = (50, 5, 10, 20, 8, 7)
FIRST_AWARD = dt.date(2025, 1, 1)
LAST_AWARD = dt.date(2026, 11, 28)


def purchaser(place: Place, body: str) -> str:
    """北京市海淀区教育委员会, 石家庄市裕华区教育局, 容城县第一中学."""
    committee = "委员会" if place.province == "110000" else "局"
    return f"{place.office_locality}{body.format(c=committee)}"


def generate_awards(
    rng: random.Random,
    places: tuple[Place, ...],
    total: int,
    suppliers: list[MarketEntity],
    elsewhere: list[MarketEntity],
) -> list[dict[str, Any]]:
    """``total`` notices over the places; suppliers mostly local, some from the other provinces."""
    local = [e for e in suppliers if e.company and e.active] or suppliers
    remote = [e for e in elsewhere if e.company and e.active]
    fitting = {
        category: [e for e in local if e.record["industryCode"][0] in sections] or local
        for category, sections in SUPPLIER_SECTIONS.items()
    }
    records: list[dict[str, Any]] = []
    for place, count in zip(places, allocate(total, places), strict=True):
        awards = []
        for _ in range(count):
            awards.append((random_date(rng, FIRST_AWARD, LAST_AWARD), rng.random()))
        awards.sort()
        # Notice numbers run per region and year in date order, with gaps (cancelled notices).
        serials: dict[int, int] = {}
        for awarded, _ in awards:
            serial = serials.get(awarded.year, rng.randrange(1, 40)) + rng.randrange(1, 12)
            serials[awarded.year] = serial
            category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
            buyer = purchaser(place, rng.choice(PURCHASERS))
            roll = rng.random()
            pool = remote if remote and roll < 0.15 else local if roll < 0.25 else fitting[category]
            supplier = rng.choice(pool)
            low, high = AMOUNTS[category]
            amount = float(round(min(high, max(low, rng.lognormvariate(13.5, 1.0))), 2))
            records.append(
                {
                    "awardId": f"{place.code}-ZB-{awarded.year}-{serial:05d}",
                    "projectName": f"{buyer}{awarded.year}年{rng.choice(ITEMS[category])}采购项目",
                    "purchaser": buyer,
                    "supplierName": supplier.name,
                    "supplierCreditCode": supplier.credit_code,
                    "amount": amount,
                    "category": category,
                    "method": rng.choices(METHODS, METHOD_WEIGHTS)[0],
                    "awardDate": awarded.isoformat(),
                    "regionCode": place.code,
                }
            )
    return records
