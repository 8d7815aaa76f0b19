"""The demo's places: each leaf region with its names, streets, towns, stations, area code."""

from __future__ import annotations

import random
from dataclasses import dataclass

from catalog import RegionRegistry


def words(text: str) -> tuple[str, ...]:
    """Space-separated names as a tuple (keeps the tables short)."""
    return tuple(text.split())


#: Streets per district, so addresses read like 北京市海淀区中关村大街27号.
STREETS: dict[str, tuple[str, ...]] = {
    "110101": words(
        "东长安街 王府井大街 东直门南大街 朝阳门北大街 建国门内大街 东四北大街 "
        "和平里东街 安定门外大街 崇文门外大街 交道口南大街"
    ),
    "110102": words(
        "金融大街 西单北大街 复兴门内大街 德胜门外大街 阜成门外大街 "
        "西直门南大街 月坛北街 广安门内大街 新街口外大街 宣武门外大街"
    ),
    "110105": words(
        "建国路 朝阳北路 望京街 东三环中路 酒仙桥路 朝阳门外大街 亮马桥路 "
        "北苑路 光华路 工体北路 广渠路 安立路"
    ),
    "110108": words(
        "中关村大街 海淀大街 学院路 上地信息路 西二旗大街 知春路 北四环西路 "
        "苏州街 复兴路 万泉河路 清河中街 丰贤中路"
    ),
    "110112": words(
        "新华大街 运河东大街 通胡大街 玉桥中路 九棵树东路 梨园北街 宋庄路 "
        "潞苑南大街 通朝大街 永顺南街"
    ),
    "120101": words("南京路 滨江道 和平路 营口道 大沽北路 成都道 赤峰道 西康路"),
    "120103": words("友谊路 围堤道 解放南路 黑牛城道 紫金山路 珠江道 大沽南路 洞庭路"),
    "120104": words("卫津路 鞍山西道 南马路 红旗路 白堤路 复康路 长江道 宾水西道"),
    "120116": words(
        "第二大街 洞庭路 黄海路 新港二号路 新北路 解放路 中央大道 和畅路 宏达街 津塘公路"
    ),
    "130102": words("中山东路 建设北大街 胜利北街 广安大街 谈固东街 跃进路"),
    "130104": words("中华南大街 自强路 新石中路 维明南大街 红旗大街 友谊南大街"),
    "130105": words("中华北大街 友谊北大街 和平西路 民族路 泰华街 北二环西路"),
    "130108": words("槐安东路 建华南大街 体育南大街 裕华东路 东岗路 塔南路"),
    "130602": words("朝阳北大街 东风西路 七一西路 隆兴西路 复兴中路 天威西路"),
    "130606": words("裕华西路 五四东路 东风中路 莲池南大街 永华南大街 乐凯北大街"),
    "130629": words("奥威东路 贾光大街 金台东路 容和街 商务中心路"),
    "130632": words("白洋淀大道 建设大街 安新大街 春祥路 旅游路"),
    "130638": words("雄州路 温泉路 将台路 永和路 建设大街"),
    "131002": words("永华道 光明西道 银河南路 北凤道 南龙道 廊霸路"),
    "131003": words("新华路 和平路 爱民东道 金光道 建设北路 广阳道 新开路"),
}
FALLBACK_STREETS = ("人民路", "建设路", "解放路", "中山路", "胜利路", "和平路", "新华路", "文化路")

#: Towns (乡镇) of the counties, for township health centres.
TOWNS: dict[str, tuple[str, ...]] = {
    "130629": words("容城镇 小里镇 南张镇 大河镇 晾马台镇 八于乡 贾光乡 平王乡"),
    "130632": words("安新镇 大王镇 三台镇 端村镇 赵北口镇 同口镇 刘李庄镇 安州镇 老河头镇"),
    "130638": words("雄州镇 昝岗镇 大营镇 龙湾镇 朱各庄镇 米家务镇 鄚州镇 苟各庄镇"),
}

#: Air-quality monitoring stations per district.
STATIONS: dict[str, tuple[str, ...]] = {
    "110101": words("东四 天坛 永定门内"),
    "110102": words("官园 万寿西宫 西直门北"),
    "110105": words("农展馆 奥体中心 东四环"),
    "110108": words("海淀万柳 北部新区 植物园"),
    "110112": words("通州新城 永乐店 通州东关"),
    "120101": words("南京路 五大道"),
    "120103": words("市监测中心 友谊路"),
    "120104": words("宾水西道 复康路"),
    "120116": words("永明路 汉北路 泰丰工业园"),
    "130102": words("人民会堂 职工医院"),
    "130104": words("西南高教 22中南校区"),
    "130105": words("西北水源 北二环西"),
    "130108": words("世纪公园 高新区"),
    "130602": words("接待中心 游泳馆"),
    "130606": words("华电二区 地表水厂"),
    "130629": words("容城县城 贾光"),
    "130632": words("安新县城 白洋淀"),
    "130638": words("雄县县城 昝岗"),
    "131002": words("开发区 药材公司"),
    "131003": words("环境监测监理中心 北华航天学院"),
}

#: How many market entities a district has relative to others (bigger economies, more entities).
WEIGHTS: dict[str, float] = {
    "110101": 0.7,
    "110102": 0.8,
    "110105": 1.6,
    "110108": 1.6,
    "110112": 0.9,
    "120101": 0.6,
    "120103": 0.8,
    "120104": 0.8,
    "120116": 1.8,
    "130102": 0.7,
    "130104": 0.7,
    "130105": 0.6,
    "130108": 0.8,
    "130602": 0.6,
    "130606": 0.5,
    "130629": 0.35,
    "130632": 0.3,
    "130638": 0.3,
    "131002": 0.5,
    "131003": 0.6,
}

#: Long-distance area codes by prefecture (first four digits of the region code).
AREA_CODES: dict[str, str] = {
    "1101": "010",
    "1201": "022",
    "1301": "0311",
    "1302": "0315",
    "1303": "0335",
    "1304": "0310",
    "1305": "0319",
    "1306": "0312",
    "1307": "0313",
    "1308": "0314",
    "1309": "0317",
    "1310": "0316",
    "1311": "0318",
}
#: Cities whose local numbers have 8 digits; the others have 7.
EIGHT_DIGIT_AREAS = frozenset({"010", "022", "0311"})

#: Province abbreviations used on title certificates (京, 津, 冀 …).
PROVINCE_ABBREVIATIONS: dict[str, str] = {
    "11": "京",
    "12": "津",
    "13": "冀",
    "14": "晋",
    "15": "蒙",
    "21": "辽",
    "22": "吉",
    "23": "黑",
    "31": "沪",
    "32": "苏",
    "33": "浙",
    "34": "皖",
    "35": "闽",
    "36": "赣",
    "37": "鲁",
    "41": "豫",
    "42": "鄂",
    "43": "湘",
    "44": "粤",
    "45": "桂",
    "46": "琼",
    "50": "渝",
    "51": "川",
    "52": "贵",
    "53": "云",
    "54": "藏",
    "61": "陕",
    "62": "甘",
    "63": "青",
    "64": "宁",
    "65": "新",
}


@dataclass(frozen=True, slots=True)
class Place:
    """A leaf region as the demo data speaks of it."""

    code: str
    province: str
    zh: str
    #: the name without its 区/县 suffix (海淀, 滨海, 容城; 雄县 keeps it)
    short: str
    #: what addresses start with: 北京市海淀区, 河北省石家庄市裕华区, 河北省雄安新区容城县
    locality: str
    #: the locality without the province where a city or new area sits between: 石家庄市裕华区
    office_locality: str
    #: the city-level short name used in company names: 北京, 石家庄, 雄安
    top_short: str
    #: the registering place on title certificates: 海淀区, 石家庄市, 容城县
    certificate_place: str
    province_abbreviation: str
    area_code: str
    county: bool
    weight: float
    streets: tuple[str, ...]
    towns: tuple[str, ...]
    stations: tuple[str, ...]

    def phone(self, rng: random.Random) -> str:
        """An enquiry number in this place's area: 010-62345678, 0312-5823456."""
        digits = 8 if self.area_code in EIGHT_DIGIT_AREAS else 7
        first = rng.choice("568" if digits == 8 else "2345678")
        return f"{self.area_code}-{first}{rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"


def short_name(zh: str) -> str:
    """海淀区 → 海淀, 滨海新区 → 滨海, 石家庄市 → 石家庄, 雄县 → 雄县."""
    for suffix in ("新区", "区", "县", "市", "省"):
        if zh.endswith(suffix) and len(zh) - len(suffix) >= 2:
            return zh[: -len(suffix)]
    return zh


def provinces_places(regions: RegionRegistry, provinces: list[str]) -> dict[str, tuple[Place, ...]]:
    """The places of each province, its leaf regions in code order."""
    return {
        province: tuple(place_of(regions, leaf) for leaf in sorted(regions.leaves(province)))
        for province in provinces
    }


def place_of(regions: RegionRegistry, leaf: str) -> Place:
    """Describe one leaf region from its chain in the registry."""
    chain = [regions.get(code) for code in regions.chain(leaf)]
    nodes = [r for r in chain if r is not None]
    region, province = nodes[0], nodes[-1]
    grouping = next((r for r in nodes[1:] if not r.standard), None)
    parent = regions.get(region.parent) if region.parent else None
    city = parent if parent is not None and parent.level == "city" else None
    middle = grouping or city
    locality = province.zh + (middle.zh if middle else "")
    locality += region.zh if region is not province else ""
    office = locality[len(province.zh) :] if middle else locality
    county = region.level == "county"
    short = short_name(region.zh)
    if grouping is not None or county:
        certificate_place = region.zh
    else:
        certificate_place = city.zh if city else region.zh
    area = AREA_CODES.get(leaf[:4], AREA_CODES.get(province.code[:2] + "01", "010"))
    return Place(
        code=leaf,
        province=province.code,
        zh=region.zh,
        short=short,
        locality=locality,
        office_locality=office,
        top_short=short_name(middle.zh if middle else province.zh),
        certificate_place=certificate_place,
        province_abbreviation=PROVINCE_ABBREVIATIONS.get(leaf[:2], ""),
        area_code=area,
        county=county,
        weight=WEIGHTS.get(leaf, 0.5),
        streets=STREETS.get(leaf, FALLBACK_STREETS),
        towns=TOWNS.get(leaf, ()),
        stations=STATIONS.get(leaf, (f"{short}监测站", f"{short}新城")),
    )


def allocate(total: int, places: tuple[Place, ...], *, minimum: int = 1) -> list[int]:
    """Split a count over places by weight (largest remainder), at least ``minimum`` each."""
    if not places:
        return []
    floor = min(minimum, total // len(places))
    rest = total - floor * len(places)
    weight_sum = sum(p.weight for p in places)
    shares = [rest * p.weight / weight_sum for p in places]
    counts = [int(s) for s in shares]
    order = sorted(range(len(places)), key=lambda i: (counts[i] - shares[i], places[i].code))
    for i in order[: rest - sum(counts)]:
        counts[i] += 1
    return [floor + c for c in counts]
