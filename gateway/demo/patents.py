"""Patent grants held by the market entities, with CNIPA patent numbers."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from gateway.demo.identifiers import patent_number
from gateway.demo.market_entities import MarketEntity
from gateway.demo.people import person_name, random_date

#: IPC subclasses with subjects of inventions and utility models in that field.
TOPICS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "G06N",
        (
            "基于深度学习的图像识别",
            "基于知识图谱的智能问答",
            "多模态大模型推理加速",
            "联邦学习模型训练",
        ),
        ("智能巡检机器人", "边缘计算推理"),
    ),
    (
        "G06F",
        ("分布式数据库事务处理", "政务数据共享交换", "日志异常检测", "数据脱敏处理"),
        ("服务器散热", "数据存储"),
    ),
    (
        "H04L",
        ("区块链跨链通信", "零信任网络访问控制", "物联网设备身份认证"),
        ("网络交换机安装", "光纤配线"),
    ),
    (
        "H01M",
        ("固态锂电池正极材料制备", "锂离子电池热失控预警", "钠离子电池负极"),
        ("电池模组固定", "储能柜"),
    ),
    ("B60L", ("电动汽车充电调度", "换电站电池管理"), ("充电桩", "充电枪锁止")),
    ("C02F", ("高盐废水零排放处理", "污泥低温干化", "工业废水深度处理"), ("污水处理", "曝气")),
    ("B01D", ("挥发性有机物催化燃烧", "烟气脱硫脱硝"), ("除尘", "油烟净化")),
    ("A61K", ("中药组合物及其制备", "抗肿瘤药物缓释制剂"), ("药品分装", "中药煎煮")),
    ("A61B", ("医学影像辅助诊断", "可穿戴心电监测"), ("医用检查", "输液监测")),
    ("G01N", ("土壤重金属快速检测", "空气颗粒物在线监测"), ("水质采样", "气体检测")),
    ("E04B", ("装配式建筑节点连接", "建筑外墙保温"), ("装配式墙板", "抗震支架")),
    ("C04B", ("高性能混凝土", "固废基胶凝材料"), ("混凝土搅拌", "砂浆喷涂")),
    ("B23K", ("钢结构智能焊接", "激光焊接质量控制"), ("焊接夹具", "焊缝打磨")),
    ("C21D", ("高强度钢板热处理", "特殊钢冶炼"), ("钢卷运输", "轧辊冷却")),
    ("A01G", ("设施蔬菜水肥一体化", "苗木智能灌溉"), ("温室大棚通风", "育苗")),
    ("F24F", ("地源热泵空调控制", "建筑新风节能"), ("空调风口", "新风")),
)
#: Design patents (外观设计): products and the class their field falls in.
DESIGNS: tuple[tuple[str, str], ...] = (
    ("B65D", "包装盒"),
    ("F21V", "台灯"),
    ("G06F", "带图形用户界面的显示屏幕面板"),
    ("A47C", "办公椅"),
    ("B62K", "电动自行车"),
    ("H04M", "手机"),
    ("A45C", "背包"),
    ("B60L", "充电桩"),
    ("A61B", "体温计"),
    ("G01N", "空气质量检测仪"),
)
DESIGN_VARIANTS = ("", "（智能）", "（便携式）", "（一）", "（二）", "（儿童款）")
INVENTION_FORMS = ("一种{}方法", "{}方法及系统", "一种{}装置及方法", "一种{}的方法和设备")
UTILITY_FORMS = ("一种{}装置", "一种{}设备", "一种用于{}的结构")
#: Grants announced by the reference date of the dataset.
LAST_GRANT = dt.date(2026, 11, 24)
#: Months from application to grant by type (invention, utility model, design).
LAGS = {1: (16, 48), 2: (5, 13), 3: (3, 10)}


def generate_patents(
    rng: random.Random,
    entities: list[MarketEntity],
    total: int,
    used: set[str],
) -> list[dict[str, Any]]:
    """``total`` grants, mostly to technology companies registered before they applied."""
    candidates = [e for e in entities if e.company and e.established.year <= 2024]
    tech = [e for e in candidates if e.technology]
    if not candidates:
        return []
    records: list[dict[str, Any]] = []
    for _ in range(total):
        patentee = rng.choice(tech if tech and rng.random() < 0.8 else candidates)
        kind = rng.choices((1, 2, 3), (45, 40, 15))[0]
        low, high = LAGS[kind]
        first_year = max(2016, patentee.established.year)
        earliest = max(dt.date(first_year, 1, 1), patentee.established)
        latest = LAST_GRANT - dt.timedelta(days=low * 30 + 7)
        while True:
            applied = random_date(rng, earliest, latest)
            granted = applied + dt.timedelta(days=rng.randint(low * 30, high * 30))
            # Grant announcements are published on Tuesdays.
            granted += dt.timedelta(days=(1 - granted.weekday()) % 7)
            if granted <= LAST_GRANT:
                break
        while True:
            serial = rng.randrange(1, 10**7) if kind == 1 else rng.randrange(10**6, 10**7)
            number = patent_number(applied.year, kind, serial)
            if number not in used:
                used.add(number)
                break
        if kind == 3:
            ipc, product = rng.choice(DESIGNS)
            title = product + rng.choice(DESIGN_VARIANTS)
        else:
            ipc, inventions, utilities = rng.choice(TOPICS)
            if kind == 1:
                title = rng.choice(INVENTION_FORMS).format(rng.choice(inventions))
            else:
                title = rng.choice(UTILITY_FORMS).format(rng.choice(utilities))
        team = rng.choices((1, 2, 3, 4, 5), (15, 25, 30, 20, 10))[0]
        inventors = [person_name(rng, rng.random() < 0.6) for _ in range(team)]
        records.append(
            {
                "patentNumber": number,
                "title": title,
                "patentType": {1: "发明", 2: "实用新型", 3: "外观设计"}[kind],
                "patenteeName": patentee.name,
                "patenteeCreditCode": patentee.credit_code,
                "inventors": inventors,
                "grantDate": granted.isoformat(),
                "ipcClass": ipc,
                "regionCode": patentee.place.code,
            }
        )
    return records
