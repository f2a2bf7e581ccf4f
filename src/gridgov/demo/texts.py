"""Realistic, synthetic case descriptions for the demo: per-category templates (pure: no Django).

Every leaf category of the shipped taxonomy gets a description written the way a grid worker or a
hotline operator notes an event: what, where (a synthetic road and number), and a detail. Leaves
without templates of their own use their parent's templates (which name the leaf), so no case
reads "其他（演示）". Deterministic for a ``random.Random``/NumPy generator draw sequence.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["TEMPLATES", "PARENT_TEMPLATES", "ROADS", "address", "describe"]

#: Synthetic road names (the demo city is synthetic; these are plausible, not a real map).
ROADS = ("福安路", "永兴路", "长乐路", "宁海路", "顺昌路", "延庆路", "华亭路", "瑞金二路", "泰康路", "嘉善路",
         "金陵中路", "丽园路", "云南南路", "方斜路", "南园路", "梅溪路", "文庙路", "松雪街", "学前街", "复兴东路")
PLACES = ("小区南门口", "沿街商铺门前", "公交站旁", "弄堂口", "菜场东侧", "学校门口", "路口东北角", "小区3号楼下",
          "绿地西侧", "便利店旁", "地铁站出口", "停车场入口")
TIMES = ("今早", "上午", "中午", "下午", "傍晚", "昨晚", "近两天", "连续一周")

#: leaf category code -> templates; slots: {place} {time} {n}
TEMPLATES: dict[str, tuple[str, ...]] = {
    # 部件 (components)
    "C0101": ("{place}上水井盖破损松动，车辆经过有响声，存在安全隐患", "{place}上水井盖缺失，已临时用锥桶围挡"),
    "C0102": ("{place}污水井盖移位，{time}有污水外溢，气味较大", "{place}污水井盖破裂，行人易踩空"),
    "C0103": ("{place}雨水井盖缺失一角，夜间照明差，易发生跌落", "{place}雨水井盖下沉约{n}厘米，车辆颠簸"),
    "C0104": ("{place}雨水箅子被垃圾堵塞，下雨后路面积水", "{place}雨水箅子断裂，自行车轮容易卡入"),
    "C0105": ("{place}电力井盖翘起，高出路面约{n}厘米", "{place}电力井盖破损，周边已有居民绕行"),
    "C0106": ("{place}路灯井盖丢失，井口裸露", "{place}路灯井盖松动，踩上去晃动"),
    "C0107": ("{place}通讯井盖破损，井内线缆外露", "{place}通讯井盖缺失，已用纸板临时遮盖"),
    "C0108": ("{place}燃气井盖松动有异味，居民担心漏气", "{place}燃气井盖破裂，需尽快更换"),
    "C0109": ("{place}有一处无主井盖破损，权属单位不明", "{place}无主井盖缺失，井口约{n}厘米宽"),
    "C0110": ("{place}室外消火栓漏水，{time}持续滴漏", "{place}消火栓被车辆遮挡，消防通道不畅"),
    "C0111": ("{place}路灯{time}不亮，已有{n}盏连续熄灭", "{place}路灯灯杆倾斜，存在倒伏风险"),
    "C0112": ("{place}报刊亭长期闭店，外立面破损脏乱", "{place}报刊亭违规外摆货架，占用人行道"),
    "C0113": ("{place}健身器材转轮断裂，老人锻炼时险些受伤", "{place}健身设施螺丝松动，需检修"),
    "C0201": ("{place}交通信号灯{time}故障，红灯不亮", "{place}行人信号灯倒计时显示异常"),
    "C0202": ("{place}交通标志牌被树枝遮挡，司机看不清", "{place}交通标志牌倾斜，随时可能掉落"),
    "C0203": ("{place}道路护栏被撞变形，有{n}米缺口", "{place}护栏倒伏在非机动车道上"),
    "C0204": ("{place}公交站亭顶棚破损，下雨漏水", "{place}公交站亭广告灯箱玻璃碎裂"),
    "C0205": ("{place}非机动车停放点车辆堆积，堵塞盲道", "{place}非机动车停放点划线模糊，停放混乱"),
    "C0301": ("{place}公共厕所冲水设备故障，异味较大", "{place}公共厕所{time}未按时开放，居民反映不便"),
    "C0302": ("{place}垃圾箱满溢未及时清运", "{place}垃圾箱破损，箱盖缺失"),
    "C0303": ("{place}广告牌匾松动，大风天存在坠落风险", "{place}店招牌匾部分脱落，挂在半空"),
    "C0401": ("{place}行道树枝条遮挡路灯和监控", "{place}行道树倾斜严重，树根拱起人行道"),
    "C0402": ("{place}绿地被踩踏出{n}米长的小路，植被破坏", "{place}绿地内有枯死苗木未补种"),
    "C0403": ("{place}护树架断裂，绑带勒进树皮", "{place}树池盖板缺失，行人易绊倒"),
    "C0501": ("{place}宣传栏玻璃破碎，张贴内容过期", "{place}宣传栏立柱锈蚀，整体晃动"),
    "C0502": ("{place}一处空置房屋门窗破损，有人员进出", "{place}空房堆放杂物，邻居担心火灾隐患"),
    "C0601": ("{place}有一处废弃的设施箱体破损，无人维护", "{place}座椅破损，木条断裂"),
    # 事件 (events)
    "E0101": ("{place}有住户在屋顶加盖彩钢板房，面积约{n}平方米", "{place}底层住户私自扩建围墙，占用公共通道"),
    "E0102": ("{place}有生活垃圾随意倾倒在路边，{time}无人清理", "{place}垃圾袋散落，招引蚊蝇"),
    "E0103": ("{place}堆积建筑渣土约{n}立方米，未覆盖", "{place}装修垃圾堆放多日未清运"),
    "E0104": ("{place}路面油污明显，行人易滑倒", "{place}人行道落叶和垃圾较多，{time}未见保洁"),
    "E0105": ("{place}附近河道水面漂浮垃圾和油污", "{place}河道有异味，水体发黑"),
    "E0106": ("{place}绿地内有生活垃圾和宠物粪便", "{place}绿化带被堆放杂物"),
    "E0199": ("{place}有居民在楼道内堆放大量纸板，影响通行", "{place}有废弃家具长期堆放在路边"),
    "E0201": ("{place}电线杆和墙面被贴满小广告", "{place}地面被喷涂办证电话小广告"),
    "E0202": ("{place}商户违规悬挂横幅广告", "{place}店铺擅自设置灯箱招牌，未经审批"),
    "E0203": ("{place}商户将广告牌摆放在人行道上", "{place}立式广告牌占用盲道"),
    "E0204": ("{place}有人{time}在街头散发健身卡广告", "{place}有人往车窗上插放小广告卡片"),
    "E0299": ("{place}楼道信箱被塞满广告传单", "{place}有车辆流动播放广告，噪声扰民"),
    "E0301": ("{place}工地夜间施工到{n}点，噪声扰民", "{place}工地{time}使用破碎机作业，居民投诉"),
    "E0302": ("{place}工地裸土未覆盖，扬尘明显", "{place}工地出入口车辆未冲洗，带泥上路"),
    "E0303": ("{place}渣土车遗撒泥土约{n}米", "{place}运输车辆沿路遗撒砂石"),
    "E0304": ("{place}施工废料堆放在人行道上", "{place}工地外侧堆放废弃模板和钢筋"),
    "E0399": ("{place}施工围挡倒塌，占用部分车道", "{place}施工围挡破损，工地内部裸露"),
    "E0401": ("{place}路面出现塌陷坑，直径约{n}厘米", "{place}人行道地砖下沉开裂"),
    "E0402": ("{place}自来水管破裂，路面大量冒水", "{place}地下水管漏水，路面持续有积水"),
    "E0403": ("{place}闻到明显燃气味，疑似管道破裂", "{place}燃气管道被施工挖破，已疏散周边人员"),
    "E0404": ("{place}下水道堵塞，污水漫溢到路面", "{place}窨井返水，小区积水严重"),
    "E0499": ("{place}有树木被大风刮倒，压在非机动车道上", "{place}外墙瓷砖脱落，砸到停放车辆"),
    "E0501": ("{place}有流动摊贩占道售卖水果", "{place}{time}有无证摊点经营早餐"),
    "E0502": ("{place}有一名流浪人员在此露宿多日", "{place}有人员沿街乞讨，行动不便"),
    "E0503": ("{place}废品收购点占道堆放，影响通行", "{place}三轮车占道收购废品"),
    "E0504": ("{place}餐饮店将桌椅摆到店外经营", "{place}水果店货架外摆占用人行道约{n}米"),
    "E0505": ("{place}机动车长期占用消防通道", "{place}有{n}辆车停在人行道上"),
    "E0599": ("{place}有人遛狗不牵绳，居民反映有安全隐患", "{place}共享单车乱停放，堵塞出入口"),
    # 公共安全隐患 (hazards)
    "H01": ("{place}楼道内电动车充电，飞线拉到室外", "{place}商铺内堆放大量易燃纸箱，灭火器过期"),
    "H02": ("{place}地下室有不明人员聚集，居民担心治安", "{place}监控探头损坏，夜间照明不足"),
    "H03": ("{place}两户居民因停车问题多次争吵，情绪激动", "{place}租客与房东因退押金发生争执"),
    "H04": ("{place}有店铺违规储存液化气钢瓶{n}只", "{place}居民楼内疑似存放油漆稀料等危化品"),
    "H05": ("{place}出现多只死鼠，居民担心传播疾病", "{place}积水处蚊虫孳生，需要消杀"),
    "H06": ("{place}约{n}名工人反映被拖欠工资", "{place}装修公司拖欠工人工资，工人聚集讨薪"),
    "H99": ("{place}高空悬挂空调外机支架锈蚀", "{place}老旧阳台雨棚松动，存在坠落风险"),
    # 矛盾纠纷 (disputes, a few leaves of their own; the rest from the parent)
    "D0201": ("{place}楼上住户空调冷凝水滴到楼下阳台，双方协商未果", "{place}邻居加装防盗窗影响采光，发生争执"),
    "D0202": ("{place}邻居在公共走廊堆放杂物，双方多次争吵", "{place}底层住户占用公共绿地种菜，引发邻里矛盾"),
    "D0203": ("{place}楼下饭店油烟影响住户，双方协商未果", "{place}邻居家中噪声较大，楼下住户多次投诉"),
    "D0402": ("{place}业主与物业因停车费上涨发生纠纷", "{place}物业维修不及时，业主拒交物业费"),
    "D0602": ("{place}租客与房东因押金退还发生纠纷", "{place}二房东提前收回房屋，租客不同意搬离"),
    "D0701": ("{place}员工与公司因劳动合同解除发生争议", "{place}劳务派遣人员反映未签订劳动合同"),
}

#: parent code -> templates for leaves without their own; slot {name}: the leaf's name
PARENT_TEMPLATES: dict[str, tuple[str, ...]] = {
    "C": ("{place}{name}损坏，需要维修", "{place}{name}缺失，影响正常使用"),
    "E": ("{place}发现{name}问题，{time}仍未处理", "居民反映{place}存在{name}问题"),
    "D": ("{place}两户居民因{name}问题发生纠纷，申请社区调解", "当事人反映与对方存在{name}方面的纠纷，双方情绪较大",
          "{place}发生{name}纠纷，当事人到居委会求助"),
    "H": ("{place}发现{name}，需要排查", "居民反映{place}存在{name}"),
}


def address(pick: Callable[[int], int]) -> str:
    """A synthetic street address; ``pick(n)`` returns an integer in [0, n)."""
    return f"{ROADS[pick(len(ROADS))]}{1 + pick(399)}号"


def describe(code: str, leaf_name: str, parent_name: str, pick: Callable[[int], int]) -> str:
    """A description for the leaf category ``code`` (named ``leaf_name``, under ``parent_name``)."""
    own = TEMPLATES.get(code)
    templates = own or PARENT_TEMPLATES.get(code[:1], PARENT_TEMPLATES["E"])
    template = templates[pick(len(templates))]
    name = parent_name if leaf_name.startswith("其他") else leaf_name
    name = name.removesuffix("纠纷").removesuffix("类")
    if name in ("", "其他"):
        name = "生活琐事"
    return template.format(place=PLACES[pick(len(PLACES))], time=TIMES[pick(len(TIMES))], n=2 + pick(18),
                           name=name)
