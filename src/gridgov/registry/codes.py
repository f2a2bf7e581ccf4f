"""Code tables of the actual-population register (pure: no Django).

Values from ../shared/reference/gbt31000-codes.md (GB/T 31000-2015 tables) and the national
standards its fields cite (GB/T 2261.1 sex, GB/T 3304 ethnicity, GA/T 517 document types,
GB/T 4761 family relation). Versioned data: ``VERSION`` names the edition; '99' = other.
"""

from __future__ import annotations

VERSION = "gbt31000-2015/r1"

#: 人口类型 (system-level, Shanghai 实有人口类别): 01 户籍, 02 来沪(流动), 03 境外.
POPULATION_TYPE = {"01": "户籍人口", "02": "来沪人员(流动人口)", "03": "境外人员"}
POP_HUJI, POP_FLOATING, POP_FOREIGN = "01", "02", "03"

#: GB/T 2261.1 性别.
SEX = {"0": "未知的性别", "1": "男", "2": "女", "9": "未说明的性别"}

#: GB/T 3304 民族 (56 nationalities + 97 其他 + 98 外国血统中国籍人士).
ETHNICITY = {
    "01": "汉族", "02": "蒙古族", "03": "回族", "04": "藏族", "05": "维吾尔族", "06": "苗族", "07": "彝族",
    "08": "壮族", "09": "布依族", "10": "朝鲜族", "11": "满族", "12": "侗族", "13": "瑶族", "14": "白族",
    "15": "土家族", "16": "哈尼族", "17": "哈萨克族", "18": "傣族", "19": "黎族", "20": "傈僳族", "21": "佤族",
    "22": "畲族", "23": "高山族", "24": "拉祜族", "25": "水族", "26": "东乡族", "27": "纳西族", "28": "景颇族",
    "29": "柯尔克孜族", "30": "土族", "31": "达斡尔族", "32": "仫佬族", "33": "羌族", "34": "布朗族",
    "35": "撒拉族", "36": "毛南族", "37": "仡佬族", "38": "锡伯族", "39": "阿昌族", "40": "普米族",
    "41": "塔吉克族", "42": "怒族", "43": "乌孜别克族", "44": "俄罗斯族", "45": "鄂温克族", "46": "德昂族",
    "47": "保安族", "48": "裕固族", "49": "京族", "50": "塔塔尔族", "51": "独龙族", "52": "鄂伦春族",
    "53": "赫哲族", "54": "门巴族", "55": "珞巴族", "56": "基诺族", "97": "其他", "98": "外国血统中国籍人士",
}

#: GA/T 517 证件代码 (the subset in use) + one local extension for newborns.
DOC_TYPE = {
    "111": "居民身份证", "114": "军官证", "115": "武警警官证", "414": "护照",
    "511": "台湾居民来往大陆通行证", "516": "港澳居民来往内地通行证", "554": "外国人居留证",
    "990": "出生医学证明 (本地扩展)",
}
DOC_ID_CARD = "111"

#: GB/T 4761 家庭关系 (subset; codes as used by household registers — unconfirmed against the text).
RELATION = {"02": "户主", "10": "配偶", "20": "子", "30": "女", "50": "父母", "60": "祖父母或外祖父母",
            "70": "兄弟姐妹", "80": "其他亲属", "99": "非亲属"}

#: GB/T 31000 住所类型 (DomicileType).
DOMICILE_TYPE = {"01": "自购房屋", "02": "租赁房屋", "03": "寄宿", "04": "借住", "05": "单位宿舍",
                 "06": "临时性宿舍", "07": "农民工公寓", "99": "其他"}

#: GB/T 31000 流入原因 (InflowCause).
INFLOW_REASON = {"01": "务工", "02": "务农", "03": "经商", "04": "学习培训", "05": "婚嫁", "06": "随迁",
                 "07": "治病疗养", "08": "投亲靠友", "09": "工作调动", "99": "其他"}

#: GB/T 31000 建筑用途 (ArchitecturalUse).
BUILDING_USE = {"01": "住宅", "02": "商业", "03": "办公", "04": "工业", "05": "仓储", "06": "商住混用",
                "99": "其他"}

#: GB/T 31000 出租用途 (RentingUse).
RENTING_USE = {"01": "宿舍", "02": "住房", "03": "商铺", "04": "办公", "05": "仓库", "06": "厂房", "99": "其他"}

#: GB/T 31000 隐患类型 (HiddenDangerType, rented houses).
HIDDEN_DANGER = {"00": "无", "01": "火灾隐患", "02": "治安隐患", "03": "矛盾纠纷隐患", "04": "危化物品隐患",
                 "05": "疾病传染隐患", "99": "其他"}

#: GB/T 31000 办证类型 (CertificationType).
CERT_TYPE = {"01": "居住证", "02": "暂住证", "99": "其他"}

#: 居住证暂行条例 art. 2: besides half a year's residence, one of these conditions.
PERMIT_CONDITION = {"employment": "合法稳定就业", "residence": "合法稳定住所", "study": "连续就读"}

#: GB/T 31000 企业类别 (5.44) and 社会组织类型; an organisation's category is "E01" … or "S01" ….
ORG_CATEGORY = {
    "E01": "内资企业", "E02": "外资企业", "E03": "个体工商户", "E04": "农民专业合作社", "E99": "其他企业",
    "S01": "社会团体", "S02": "民办非企业单位", "S03": "基金会", "S99": "其他社会组织",
}

#: 人户一致标识 (UniformIdentity).
UNIFORM_IDENTITY = {"01": "一致", "02": "不一致"}


def label(table: dict[str, str], code: str | None) -> str:
    return table.get(code or "", "") if code else ""
