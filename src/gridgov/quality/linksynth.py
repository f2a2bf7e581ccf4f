"""A synthetic register and external list of Chinese residents with the typos of real lists, and the
truth of which rows are the same person (for the linkage tests, the benchmark and the demo's
numbers). Pure, deterministic by seed.

The typos, each drawn independently for an external row of a registered person: a name character
replaced by one of the same sound (伟 -> 玮, 张 -> 章); one identity digit mistyped; two adjacent
identity digits swapped; birth day and month swapped (when both are <= 12); one mobile digit
mistyped; a mobile left empty or changed (a new number); an address written differently. Some
external rows are people the register does not hold (the probable unregistered residents).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SURNAMES = "王张李刘陈杨黄赵周吴徐孙马朱胡郭何林罗高郑梁谢宋唐韩冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉斌宇浩凯健俊帆鹏飞云峰波宁婷雪琳晨欣怡佳颖思雨梦嘉子轩涵博睿哲一诺泽"
#: characters read the same (the pinyin key is equal): the commonest typo of a transcribed name
HOMOPHONES = {
    "伟": "玮炜纬", "芳": "方舫", "娜": "纳", "敏": "闵珉", "静": "婧靖", "丽": "莉俐利", "强": "蔷墙",
    "磊": "蕾垒", "军": "君钧", "洋": "阳杨扬", "勇": "永泳", "艳": "燕雁", "杰": "洁捷", "娟": "鹃涓",
    "涛": "滔韬", "明": "铭鸣", "超": "潮", "霞": "夏侠", "平": "萍苹", "刚": "钢纲", "华": "桦骅",
    "玉": "钰宇", "兰": "岚蓝", "红": "宏洪虹", "建": "健剑", "国": "帼", "文": "雯闻", "辉": "晖徽",
    "斌": "彬宾", "宇": "雨羽", "浩": "昊皓", "凯": "恺铠", "俊": "骏峻", "帆": "凡", "鹏": "朋",
    "飞": "菲妃", "云": "芸昀", "峰": "锋枫", "波": "博", "宁": "凝", "婷": "亭庭", "雪": "薛",
    "琳": "林霖", "晨": "辰臣", "欣": "鑫馨", "怡": "仪宜", "佳": "家嘉", "颖": "莹滢", "思": "斯丝",
    "梦": "孟", "子": "梓紫", "轩": "萱宣", "涵": "寒晗", "博": "波柏", "睿": "瑞锐", "哲": "喆",
    "王": "汪", "张": "章", "李": "黎礼", "刘": "柳", "陈": "沉", "杨": "阳", "黄": "皇", "周": "州",
    "吴": "武", "徐": "许", "孙": "荪", "胡": "湖", "何": "和", "林": "琳", "高": "郜", "郑": "正",
    "梁": "凉", "谢": "解", "宋": "送", "唐": "汤", "程": "成", "袁": "元", "许": "徐", "傅": "付",
    "沈": "审", "曾": "增", "彭": "鹏", "苏": "素", "蒋": "江", "贾": "甲", "魏": "卫", "叶": "业",
    "余": "于鱼", "杜": "度", "钟": "忠", "田": "甜", "石": "时史", "姚": "尧", "邹": "周", "陆": "路",
    "孔": "控", "康": "亢", "毛": "茅", "秦": "琴", "史": "石", "龙": "隆", "万": "完", "雷": "蕾",
    "钱": "前", "汤": "唐", "易": "义", "常": "昌", "武": "吴", "乔": "桥",
}
ROADS = ("南京东路", "西藏中路", "福州路", "汉口路", "九江路", "淮海中路", "复兴中路", "金陵东路", "延安东路",
         "人民路", "河南中路", "四川中路", "江西中路", "北京东路", "广东路", "重庆南路")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


def check_char(first17: str) -> str:
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


@dataclass
class SyntheticLists:
    register: list[dict]
    external: list[dict]
    truth: dict[str, str]  # external_id -> register_id of the same person
    typos: dict[str, list[str]]  # external_id -> the typos planted in it


def _person(rng: random.Random, i: int) -> dict:
    sex = rng.choice("MF")
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    year, month, day = rng.randint(1940, 2006), rng.randint(1, 12), rng.randint(1, 28)
    seq = rng.randrange(0, 999) // 2 * 2 + (1 if sex == "M" else 0)
    seq = min(seq, 999 if sex == "M" else 998)
    first17 = f"310101{year:04d}{month:02d}{day:02d}{seq:03d}"
    mobile = rng.choice(("13", "15", "17", "18", "19")) + f"{rng.randrange(10**9):09d}"
    address = (f"上海市黄浦区{rng.choice(ROADS)}{rng.randint(1, 900)}弄{rng.randint(1, 60)}号"
               f"{rng.randint(1, 30)}0{rng.randint(1, 4)}室")
    return {"record_id": f"R{i:06d}", "name": name, "sex": "男" if sex == "M" else "女",
            "birth_date": f"{year:04d}-{month:02d}-{day:02d}", "identity_number": first17 + check_char(first17),
            "mobile": mobile, "address": address}


def _homophone(rng: random.Random, name: str) -> str:
    spots = [i for i, c in enumerate(name) if c in HOMOPHONES]
    if not spots:
        return name
    i = rng.choice(spots)
    return name[:i] + rng.choice(HOMOPHONES[name[i]]) + name[i + 1:]


def _mistype(rng: random.Random, digits: str, lo: int = 0) -> str:
    i = rng.randrange(lo, len(digits) - 1)
    new = rng.choice([d for d in "0123456789" if d != digits[i]])
    return digits[:i] + new + digits[i + 1:]


def _swap(rng: random.Random, digits: str) -> str:
    spots = [i for i in range(len(digits) - 2) if digits[i] != digits[i + 1]]
    i = rng.choice(spots)
    return digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:]


def generate(n_register: int = 1000, *, linked_share: float = 0.7, unregistered_share: float = 0.15,
             typo_rate: float = 0.15, seed: int = 1) -> SyntheticLists:
    """``n_register`` register rows; an external list holding ``linked_share`` of them (with typos at
    ``typo_rate`` each) and ``unregistered_share`` of its rows made of people not in the register."""
    rng = random.Random(seed)
    register = [_person(rng, i) for i in range(1, n_register + 1)]
    linked = rng.sample(register, int(n_register * linked_share))
    n_new = int(len(linked) * unregistered_share / (1 - unregistered_share))
    external: list[dict] = []
    truth: dict[str, str] = {}
    typos: dict[str, list[str]] = {}
    for k, person in enumerate(linked, start=1):
        row = dict(person)
        row["record_id"] = f"E{k:06d}"
        planted: list[str] = []
        if rng.random() < typo_rate * 2:
            row["name"] = _homophone(rng, row["name"])
            if row["name"] != person["name"]:
                planted.append("name_homophone")
        if rng.random() < typo_rate:
            row["identity_number"] = _mistype(rng, row["identity_number"])
            planted.append("id_digit")
        elif rng.random() < typo_rate:
            row["identity_number"] = _swap(rng, row["identity_number"])
            planted.append("id_swap")
        y, m, d = row["birth_date"].split("-")
        if int(d) <= 12 and m != d and rng.random() < typo_rate:
            row["birth_date"] = f"{y}-{d}-{m}"
            planted.append("birth_swap")
        r = rng.random()
        if r < typo_rate:
            row["mobile"] = _mistype(rng, row["mobile"], lo=3)
            planted.append("mobile_digit")
        elif r < typo_rate * 2.5:
            row["mobile"] = ""
            planted.append("mobile_empty")
        elif r < typo_rate * 3:
            row["mobile"] = "1" + rng.choice("3589") + f"{rng.randrange(10**9):09d}"
            planted.append("mobile_new")
        if rng.random() < typo_rate:
            row["address"] = row["address"].replace("上海市", "").replace("室", "")
            planted.append("address_form")
        external.append(row)
        truth[row["record_id"]] = person["record_id"]
        typos[row["record_id"]] = planted
    for j in range(n_new):
        row = _person(rng, 900000 + j)
        row["record_id"] = f"E{len(linked) + j + 1:06d}"
        external.append(row)
    rng.shuffle(external)
    return SyntheticLists(register, external, truth, typos)


def scores(found: dict[str, str], truth: dict[str, str]) -> dict[str, float]:
    """Precision, recall and F1 of ``found`` links (external -> register) against ``truth``."""
    tp = sum(1 for e, r in found.items() if truth.get(e) == r)
    precision = tp / len(found) if found else 0.0
    recall = tp / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_positives": tp, "links": len(found),
            "true_links": len(truth)}
