"""The starter theme dictionary, as plain data: what a new installation's
managers start from and then edit. Keys are stable (stored with every tagged
comment); names and keywords may change.

English keywords match whole words, tolerant of case and of inflection
(`delay` also finds "delays" and "delayed"), so each is listed once in its
plain form; a keyword of several words matches them in sequence. Chinese
keywords match as substrings. Words that mean something else just as often
("time", "service", "help") are left out: a theme must be precise before it
is generous.
"""

from dataclasses import dataclass

from text.analysis.types import CHINESE, ENGLISH, ThemeSpec


@dataclass(frozen=True)
class StarterTheme:
    key: str
    name_en: str
    name_zh: str
    keywords_en: tuple[str, ...]
    keywords_zh: tuple[str, ...]

    def spec(self) -> ThemeSpec:
        return ThemeSpec(
            key=self.key,
            keywords={ENGLISH: self.keywords_en, CHINESE: self.keywords_zh},
        )


# Keyword lists read best packed, not one word a line.
# fmt: off
STARTER_TAXONOMY: tuple[StarterTheme, ...] = (
    StarterTheme(
        key="waiting_time",
        name_en="waiting time",
        name_zh="响应速度",
        keywords_en=(
            "seconds", "turnaround", "always busy", "lines are busy", "could be faster",
            "service was fast", "service was quick", "quick service", "fast service",
            "wait", "waiting time", "on hold", "hold time", "hold music", "queue",
            "minute", "min", "hour", "ages", "forever", "slow", "slowly", "quickly",
            "quick response", "quick reply", "quick to respond", "quick help",
            "fast response", "fast reply", "slow response", "slow reply",
            "slow to respond", "response time", "reply time", "prompt", "promptly",
            "speedy", "instantly", "immediately", "straight away", "right away",
            "same day", "in seconds", "took long", "so long", "too long", "took days",
            "took weeks", "picked up", "pick up", "reach", "get through", "got through",
            "unresponsive", "responsive", "transferred",
        ),
        keywords_zh=(
            "这么快", "处理得很快", "工作日", "回复快", "回得快", "回复也快",
            "回复很快", "高效", "准时", "拖了", "多久", "占线", "打不进去", "难打",
            "打不通", "石沉大海", "没人联系", "没有人联系", "没人理", "才有人理",
            "当天", "一打就通", "到账时间", "值班", "下班", "还在等", "找不到人工",
            "太长", "很久", "爽快", "拖泥带水", "反应很快", "等待", "等了", "等候",
            "排队", "响应", "速度", "慢", "及时", "迅速", "马上", "立刻", "分钟",
            "小时", "一直没人", "没人接", "接通", "快速", "秒回", "第一时间", "迟迟",
            "拖延", "拖拖拉拉", "延误", "催", "久等", "效率", "上门时间", "迟到",
            "爽约", "神速", "慢吞吞", "天了", "转人工", "一上午", "一下午", "一整天",
            "好几天",
        ),
    ),
    StarterTheme(
        key="staff_attitude",
        name_en="staff attitude",
        name_zh="服务态度",
        keywords_en=(
            "colleague", "pleasure to deal with", "understanding", "absolute star",
            "a star", "rude", "rudely", "polite", "politely", "impolite", "friendly",
            "unfriendly", "kind", "kindly", "nice", "lovely", "patient", "patience",
            "impatient", "attitude", "courteous", "respectful", "respected",
            "dismissive", "arrogant", "helpful", "unhelpful", "professional",
            "professionally", "unprofessional", "knowledgeable", "charming", "cheerful",
            "caring", "listened", "listen", "interrupting", "hung up", "did not care",
            "didn't care", "above and beyond", "staff", "nicer", "no idea", "no clue",
            "clueless", "incompetent", "looked after", "honesty", "condescending",
            "sarcastic", "cared", "bored", "apologised", "apologized", "apology",
            "get rid of me", "welcoming", "warm",
        ),
        keywords_zh=(
            "热心", "诚恳", "道歉", "温柔", "好说话", "素质", "利索", "服务", "客气",
            "和气", "重视", "担当", "待遇", "寒心", "感动", "态度", "热情", "耐心",
            "不耐烦", "礼貌", "友好", "亲切", "专业", "冷淡", "敷衍", "推脱", "推诿",
            "挂电话", "周到", "细心", "贴心", "凶", "骂", "爱答不理", "客服很",
            "客服挺", "客服太", "客服真", "客服非常", "客服特别", "脾气", "恶劣",
            "傲慢", "冷漠", "语气", "微笑", "尊重", "体贴", "责任心", "推卸", "甩锅",
            "不承认", "一问三不知", "人很好", "人挺好", "爱搭不理", "不理不睬",
            "阴阳怪气", "服务意识", "很冲", "太冲", "很负责", "挺负责", "不负责",
            "负责任", "暖心", "高冷", "爱理不理", "很认真", "挺认真", "不认真",
            "认真负责",
        ),
    ),
    StarterTheme(
        key="problem_solved",
        name_en="problem solved",
        name_zh="问题解决",
        keywords_en=(
            "replaced", "same problem", "same issue", "still having", "works perfectly",
            "now works", "working now", "understand the problem", "solve", "solved",
            "unsolved", "resolve", "resolved", "unresolved", "fix", "fixed", "sorted",
            "sort out", "sorting", "diagnose", "diagnosed", "could not help",
            "couldn't help", "couldnt help", "could help", "didn't help",
            "did not help", "nobody could help", "no one could help", "first call",
            "still not", "still isn't", "still can't", "problem was", "problem got",
            "issue was", "solution", "workaround", "corrected", "repair", "repaired",
            "everything worked", "works now", "working again", "works again",
            "reversed", "could not answer", "couldn't answer", "fix anything",
            "not satisfied with the answer", "got my answer", "where it started",
        ),
        keywords_zh=(
            "处理结果", "一次性处理", "推诿", "推来推去", "踢皮球", "不归", "帮上",
            "做不了主", "办不好", "老样子", "修了", "改进", "找到了问题", "补偿",
            "赔偿", "跟进", "方案", "补发", "换新", "顺利", "没有然后", "帮我处理",
            "没人处理", "没人管", "解决", "处理好", "修复", "办好", "问题还在",
            "还是不行", "没处理", "答复", "没有用", "都没用", "没什么用", "也没用",
            "没啥用", "办法", "部门", "让我自己", "搞不定", "没搞定", "没修好",
            "修不好", "重装", "重启", "无效", "治标不治本", "还是一样", "白跑", "来回",
            "落实", "修好", "搞定", "无果", "不了了之", "一次到位", "问题依旧",
        ),
    ),
    StarterTheme(
        key="price",
        name_en="price",
        name_zh="价格",
        keywords_en=(
            "budget", "great value", "good value", "poor value", "pay extra",
            "paid extra", "extra charge", "price", "pricing", "priced", "pricey",
            "overpriced", "expensive", "cheap", "cost", "costs", "costly", "affordable",
            "value for money", "worth the money", "fee", "fees", "quote", "discount",
            "plan", "price increase", "cheaper", "tariff", "rates", "licence",
            "licences", "license",
        ),
        keywords_zh=(
            "手续费", "这个价", "价格", "价钱", "收费", "费用", "便宜", "性价比",
            "涨价", "优惠", "折扣", "划算", "报价", "套餐", "价位", "收费标准", "实惠",
            "定价", "降价", "打折", "太贵", "很贵", "贵了", "有点贵", "偏贵", "挺贵",
            "不贵", "好贵", "昂贵", "真贵", "贵得", "物超所值", "省钱",
        ),
    ),
    StarterTheme(
        key="product_quality",
        name_en="product quality",
        name_zh="质量",
        keywords_en=(
            "quality", "product", "item", "faulty", "defective", "stopped working",
            "fell apart", "falls apart", "well made", "poorly made", "badly made",
            "material", "stitching", "durable", "flimsy", "replacement", "works well",
            "does what it says", "not as described", "faded", "warranty", "damaged",
            "build quality",
        ),
        keywords_zh=(
            "产品本身", "好产品", "产品好用", "停产", "修了", "手艺", "检测",
            "东西不错", "质量", "品质", "做工", "材质", "坏了", "损坏", "故障", "瑕疵",
            "次品", "耐用", "结实", "正品", "假货", "掉色", "破损", "质保", "保修",
            "坏掉", "用料", "质感", "劣质", "失灵", "异响", "开裂", "变形", "生锈",
            "山寨", "东西没毛病", "小毛病", "老毛病", "毛病多",
        ),
    ),
    StarterTheme(
        key="delivery",
        name_en="delivery",
        name_zh="物流",
        keywords_en=(
            "delivery", "deliveries", "deliver", "delivered", "shipping", "shipped",
            "ship", "shipment", "courier", "parcel", "package", "tracking", "dispatch",
            "dispatched", "arrived", "arrive", "arrival", "postage", "delivery driver",
            "dhl", "fedex", "box", "ships", "shipping costs", "received the order",
            "received my order", "wrong item", "in transit", "out for delivery",
        ),
        keywords_zh=(
            "补发", "寄", "收货", "货到", "包装", "换货", "物流", "快递", "发货",
            "送货", "配送", "到货", "收到货", "包裹", "运费", "签收", "送达", "派送",
            "顺丰", "运输", "送到", "派件", "驿站", "揽收", "运单", "丢件", "漏发",
            "错发", "发错", "仓库", "取件",
        ),
    ),
    StarterTheme(
        key="billing",
        name_en="billing",
        name_zh="账单",
        keywords_en=(
            "bill", "bills", "billing", "billed", "invoice", "invoices", "charge",
            "charged", "charges", "overcharged", "refund", "refunded", "payment", "pay",
            "paid", "receipt", "receipts", "vat", "card", "direct debit",
            "subscription fee", "credit note", "account balance", "finance team",
            "subscription", "money back", "my money",
        ),
        keywords_zh=(
            "扣了", "会员费", "押金", "开票", "抬头", "服务费", "多收", "账单", "发票",
            "扣费", "扣款", "多扣", "收款", "付款", "支付", "退款", "退费", "缴费",
            "充值", "对账", "余额", "订阅", "退钱", "扣钱", "乱扣", "收据", "月费",
            "年费", "到账", "转账", "信用卡", "银行卡",
        ),
    ),
    StarterTheme(
        key="website_and_app",
        name_en="website and app",
        name_zh="网站与应用",
        keywords_en=(
            "website", "web site", "site", "app", "apps", "application", "online",
            "portal", "login", "log in", "logged", "log into", "password", "checkout",
            "page", "chat bot", "chatbot", "is down", "help centre", "help center",
            "dark mode", "notifications", "download", "crash", "crashes", "crashing",
            "browser", "log out", "logged out", "sign in", "mobile app", "contact form",
            "web form", "online form",
        ),
        keywords_zh=(
            "入口", "下载", "微信支付", "语音菜单", "视频客服", "备份", "绑定", "网站",
            "网页", "官网", "app", "应用", "小程序", "登录", "登陆", "密码", "页面",
            "界面", "闪退", "卡顿", "系统", "公众号", "链接", "客户端", "机器人",
            "报错", "版本", "加载", "打不开", "注册", "验证码", "二维码", "软件",
            "卡死", "卡得", "bug", "崩溃", "转圈", "刷新", "按钮", "白屏",
        ),
    ),
    StarterTheme(
        key="communication",
        name_en="communication",
        name_zh="沟通",
        keywords_en=(
            "manual", "return calls", "returns calls", "return my call",
            "returned my call", "informative", "reminder", "passed from",
            "passed around", "passed on", "communication", "communicate", "explain",
            "explained", "explanation", "explaining", "unclear", "not clear",
            "confusing", "confusion", "told us", "told me", "tell me", "tell us",
            "keep me updated", "kept me updated", "kept us updated", "no updates",
            "any updates", "inform", "informed", "callback", "call back", "called back",
            "get back", "got back", "getting back", "reply", "replied",
            "never responded", "no response", "nobody answered", "no one answered",
            "never answered", "summary", "instructions", "repeat", "information",
            "keep me", "kept me", "details", "three different", "made no sense",
            "follow up", "followed up", "following up", "any news", "kept informed",
            "keep informed", "different answer", "misled", "misleading", "honest",
            "nobody called", "no one called", "never called", "didn't call",
        ),
        keywords_zh=(
            "说一遍", "说不清", "详细", "一看就懂", "说法", "答非所问", "回答", "解答",
            "讲解", "联系我", "进度", "会议", "开会", "例会", "纪要", "听不清",
            "前后矛盾", "复制粘贴", "模板", "聊天记录", "理由", "主动告诉", "说好",
            "不是一回事", "绕弯子", "没回答", "沟通", "解释", "说明", "告知", "回电",
            "回访", "联系不上", "没人回", "不回", "答复", "说清楚", "听不懂", "邮件",
            "通知", "反馈", "骗人", "欺骗", "忽悠", "答应", "承诺", "回应", "短信",
            "交流", "对接", "误导", "含糊", "说一声", "讲清", "表达", "听懂", "明白",
            "电话会议", "消息", "留言", "口音", "口径", "没人告诉",
        ),
    ),
)
# fmt: on


def starter_theme_specs() -> tuple[ThemeSpec, ...]:
    return tuple(theme.spec() for theme in STARTER_TAXONOMY)
