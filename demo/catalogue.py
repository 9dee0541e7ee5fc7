"""The words of the demo and benchmark data: names, companies, touchpoints, comments.

Data, and the few draws from it that both `seed_demo` and `seed_bench` make.
Every domain ends in
`.example` (RFC 2606), so that no demo mail can ever reach a real person, and
phone numbers come only from the ranges regulators set aside for drama.
"""

# Data tables read best one entry a line, whatever their width.
# ruff: noqa: E501

import random
from typing import NamedTuple

# fmt: off

ENGLISH_FIRST_NAMES = [
    "James", "Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Sophia",
    "Elijah", "Isabella", "William", "Mia", "Henry", "Charlotte", "Lucas",
    "Harper", "Benjamin", "Evelyn", "Theodore", "Abigail", "Jack", "Emily",
    "Samuel", "Ella", "Daniel", "Grace", "Matthew", "Chloe", "Joseph", "Zoe",
    "David", "Hannah", "Thomas", "Lily", "George", "Alice", "Arthur", "Freya",
    "Ryan", "Priya", "Arjun", "Fatima", "Omar", "Sofia", "Mateo", "Aisha",
    "Kwame", "Nadia", "Ethan", "Ruby", "Sean", "Megan", "Aaron", "Laura",
]

ENGLISH_LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller",
    "Davis", "Wilson", "Taylor", "Anderson", "Thomas", "Moore", "Martin",
    "Jackson", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker",
    "Hall", "Allen", "Young", "King", "Wright", "Scott", "Green", "Baker",
    "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter",
    "Phillips", "Evans", "Turner", "Patel", "Khan", "Murphy", "O'Brien",
    "Kowalski", "Novak", "Okafor", "Fernandez", "Rossi", "Hughes", "Byrne",
]

# (hanzi, pinyin, relative frequency): the common surnames, most common first.
CHINESE_SURNAMES = [
    ("王", "wang", 72), ("李", "li", 70), ("张", "zhang", 66), ("刘", "liu", 52),
    ("陈", "chen", 45), ("杨", "yang", 34), ("黄", "huang", 24), ("赵", "zhao", 21),
    ("吴", "wu", 20), ("周", "zhou", 19), ("徐", "xu", 14), ("孙", "sun", 12),
    ("马", "ma", 12), ("朱", "zhu", 11), ("胡", "hu", 10), ("郭", "guo", 10),
    ("何", "he", 9), ("林", "lin", 9), ("高", "gao", 9), ("罗", "luo", 8),
    ("郑", "zheng", 8), ("梁", "liang", 7), ("谢", "xie", 6), ("宋", "song", 6),
    ("唐", "tang", 6), ("韩", "han", 5), ("冯", "feng", 5), ("邓", "deng", 5),
    ("曹", "cao", 5), ("彭", "peng", 4),
]

CHINESE_GIVEN_NAMES = [
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"),
    ("磊", "lei"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"),
    ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"),
    ("秀英", "xiuying"), ("霞", "xia"), ("平", "ping"), ("刚", "gang"),
    ("桂英", "guiying"), ("丽", "li"), ("强", "qiang"), ("军", "jun"),
    ("婷", "ting"), ("浩然", "haoran"), ("子涵", "zihan"), ("欣怡", "xinyi"),
    ("梓轩", "zixuan"), ("一诺", "yinuo"), ("宇航", "yuhang"), ("雨桐", "yutong"),
    ("思远", "siyuan"), ("佳怡", "jiayi"), ("晓明", "xiaoming"),
    ("建华", "jianhua"), ("海燕", "haiyan"), ("志强", "zhiqiang"),
    ("文博", "wenbo"), ("若曦", "ruoxi"), ("嘉豪", "jiahao"), ("诗涵", "shihan"),
]

SEGMENTS = ["enterprise", "mid-market", "smb"]

ENGLISH_TIMEZONES = [
    "Europe/London", "America/New_York", "America/Los_Angeles", "America/Chicago",
    "America/Toronto", "Europe/Dublin", "Europe/Berlin", "Australia/Sydney",
]

# (prefix, digits to add) of the numbers reserved for fiction: Ofcom's 020 7946
# 0xxx, the North American 555-01xx and ACMA's 02 5550 xxxx. Elsewhere: none.
FICTION_PHONES = {
    "Europe/London": ("+44 20 7946 0", 3),
    "America/New_York": ("+1 212 555 01", 2),
    "America/Los_Angeles": ("+1 310 555 01", 2),
    "America/Chicago": ("+1 312 555 01", 2),
    "America/Toronto": ("+1 416 555 01", 2),
    "Australia/Sydney": ("+61 2 5550 ", 4),
}

# Chinese speakers abroad keep their language, not their home time zone.
CHINESE_TIMEZONES = ["Asia/Shanghai"] * 8 + ["Asia/Singapore", "Europe/London"]


class DemoCompany(NamedTuple):
    name: str
    domain: str
    segment: str
    language: str
    timezone: str


COMPANIES = [
    DemoCompany("Northwind Logistics", "northwind-logistics.example", "enterprise", "en", "Europe/London"),
    DemoCompany("Bluebird Analytics", "bluebird-analytics.example", "mid-market", "en", "America/New_York"),
    DemoCompany("Harbourview Dental Group", "harbourview-dental.example", "smb", "en", "Europe/London"),
    DemoCompany("Crescent Retail", "crescent-retail.example", "enterprise", "en", "America/Chicago"),
    DemoCompany("Maple & Finch Bakery", "maplefinch.example", "smb", "en", "America/Toronto"),
    DemoCompany("Ironbridge Manufacturing", "ironbridge-mfg.example", "enterprise", "en", "Europe/London"),
    DemoCompany("Lumen Health Partners", "lumenhealth.example", "mid-market", "en", "America/New_York"),
    DemoCompany("Quayside Travel", "quayside-travel.example", "smb", "en", "Europe/Dublin"),
    DemoCompany("Summit Ridge Insurance", "summitridge.example", "enterprise", "en", "America/Los_Angeles"),
    DemoCompany("Copperleaf Software", "copperleaf.example", "mid-market", "en", "Europe/Berlin"),
    DemoCompany("Greenway Property Management", "greenway-pm.example", "mid-market", "en", "America/New_York"),
    DemoCompany("Atlas Freight Solutions", "atlasfreight.example", "enterprise", "en", "America/Chicago"),
    DemoCompany("Brightside Learning", "brightside-learning.example", "smb", "en", "Australia/Sydney"),
    DemoCompany("Hudson & Vale Legal", "hudsonvale.example", "mid-market", "en", "America/New_York"),
    DemoCompany("Pinecrest Hotels", "pinecrest-hotels.example", "enterprise", "en", "America/Los_Angeles"),
    DemoCompany("Fernhill Garden Centre", "fernhill.example", "smb", "en", "Europe/London"),
    DemoCompany("Tidewater Energy", "tidewater-energy.example", "enterprise", "en", "America/New_York"),
    DemoCompany("Kestrel Fitness", "kestrel-fitness.example", "smb", "en", "Australia/Sydney"),
    DemoCompany("上海星河数据科技有限公司", "xinghe-data.example", "enterprise", "zh-hans", "Asia/Shanghai"),
    DemoCompany("杭州云帆网络科技有限公司", "yunfan-tech.example", "mid-market", "zh-hans", "Asia/Shanghai"),
    DemoCompany("深圳蓝鲸智能硬件有限公司", "lanjing-hw.example", "enterprise", "zh-hans", "Asia/Shanghai"),
    DemoCompany("北京明远教育咨询有限公司", "mingyuan-edu.example", "mid-market", "zh-hans", "Asia/Shanghai"),
    DemoCompany("成都锦城餐饮管理有限公司", "jincheng-food.example", "smb", "zh-hans", "Asia/Shanghai"),
    DemoCompany("广州华信物流有限公司", "huaxin-logistics.example", "enterprise", "zh-hans", "Asia/Shanghai"),
    DemoCompany("南京青禾生物科技有限公司", "qinghe-bio.example", "mid-market", "zh-hans", "Asia/Shanghai"),
    DemoCompany("苏州宏达精密制造有限公司", "hongda-precision.example", "enterprise", "zh-hans", "Asia/Shanghai"),
    DemoCompany("武汉易购电子商务有限公司", "yigou-ec.example", "mid-market", "zh-hans", "Asia/Shanghai"),
    DemoCompany("厦门海韵旅行社有限公司", "haiyun-travel.example", "smb", "zh-hans", "Asia/Shanghai"),
    DemoCompany("新加坡狮城贸易有限公司", "shicheng-trade.example", "smb", "zh-hans", "Asia/Singapore"),
    DemoCompany("西安古都文化传媒有限公司", "gudu-media.example", "smb", "zh-hans", "Asia/Shanghai"),
]

# Words for the benchmark's generated companies ("Blue Harbor Analytics").
COMPANY_WORDS = [
    "Blue", "Harbor", "Summit", "Cedar", "North", "Silver", "Granite", "Oak",
    "River", "Golden", "Bright", "Stone", "Pacific", "Atlas", "Pioneer", "Lake",
]
COMPANY_KINDS = [
    "Analytics", "Logistics", "Dental", "Retail", "Software", "Travel",
    "Foods", "Health", "Legal", "Energy", "Fitness", "Insurance", "Media",
]
CHINESE_COMPANY_PLACES = ["上海", "北京", "深圳", "杭州", "广州", "成都", "南京", "武汉"]
CHINESE_COMPANY_WORDS = ["星河", "云帆", "蓝鲸", "明远", "华信", "青禾", "宏达", "易购"]
CHINESE_COMPANY_KINDS = ["科技", "物流", "贸易", "餐饮", "教育", "医疗", "传媒"]


class DemoTouchpoint(NamedTuple):
    name: str
    stage: str
    channel: str
    direction: str
    subjects_en: tuple[str, ...]
    subjects_zh: tuple[str, ...]
    notes_en: tuple[str, ...]
    notes_zh: tuple[str, ...]


TOUCHPOINTS = [
    DemoTouchpoint(
        "Website visit", "awareness", "web", "inbound",
        ("Visited the pricing page", "Downloaded the CRM buyer's guide",
         "Signed up for the newsletter"),
        ("浏览了价格页面", "下载了CRM选型指南", "订阅了产品资讯"),
        ("Came from a search ad and read three blog posts.",),
        ("通过搜索广告进入，阅读了三篇博客文章。",),
    ),
    DemoTouchpoint(
        "Webinar", "awareness", "web", "inbound",
        ("Attended the 'Closing the feedback loop' webinar",
         "Registered for the NPS basics webinar"),
        ("参加了“闭环管理实践”线上研讨会", "报名了NPS入门直播"),
        ("Asked a question about when to send surveys.",),
        ("在问答环节询问了调查的发送时机。",),
    ),
    DemoTouchpoint(
        "Trade show", "awareness", "in_person", "outbound",
        ("Met at the CX Expo booth", "Scanned badge at Retail Tech Summit"),
        ("在客户体验大会展位交流", "在零售科技峰会扫码留资"),
        ("Interested in journey mapping for their stores.",),
        ("对门店的客户旅程地图很感兴趣。",),
    ),
    DemoTouchpoint(
        "Product demo", "consideration", "meeting", "outbound",
        ("Product demo for the support team", "Follow-up demo: dashboards"),
        ("为客服团队做产品演示", "补充演示：数据看板"),
        ("Main questions: Chinese-language surveys and API limits.",
         "Wants to see the case workflow with their own data."),
        ("主要关注中文问卷和API调用限制。", "希望用自己的数据看一遍工单流程。"),
    ),
    DemoTouchpoint(
        "Free trial", "consideration", "web", "inbound",
        ("Started the 14-day trial", "Trial check-in"),
        ("开通14天试用", "试用期回访"),
        ("Imported 300 contacts and sent a first test survey.",),
        ("导入了300个联系人，发送了第一份测试问卷。",),
    ),
    DemoTouchpoint(
        "Pricing call", "decision", "phone", "outbound",
        ("Pricing call: annual vs monthly", "Discussed a volume discount"),
        ("价格沟通：年付与月付", "商谈批量折扣"),
        ("Wants a quote for 25 seats before the end of the month.",),
        ("希望月底前拿到25个席位的报价。",),
    ),
    DemoTouchpoint(
        "Proposal review", "decision", "meeting", "outbound",
        ("Reviewed the proposal with procurement", "Security questionnaire walkthrough"),
        ("与采购部门评审方案", "逐项讲解安全问卷"),
        ("Legal needs the DPA; sent it the same day.",),
        ("法务需要数据处理协议，当天已发送。",),
    ),
    DemoTouchpoint(
        "Checkout", "purchase", "web", "inbound",
        ("Completed online checkout", "Upgraded the plan at checkout"),
        ("完成在线下单", "下单时升级了套餐"),
        ("Paid by card; the invoice went out automatically.",),
        ("信用卡支付，系统已自动发送发票。",),
    ),
    DemoTouchpoint(
        "Contract signing", "purchase", "meeting", "outbound",
        ("Annual contract signed", "Signed the order form for three teams"),
        ("签署年度合同", "签署三个团队的订单"),
        ("Kick-off planned for next week.",),
        ("已约好下周启动会。",),
    ),
    DemoTouchpoint(
        "Onboarding call", "usage", "phone", "outbound",
        ("Onboarding call: account setup", "Onboarding: importing customers",
         "Onboarding: survey templates"),
        ("上线培训：账户设置", "上线培训：导入客户数据", "上线培训：问卷模板"),
        ("Set up two touchpoints and the support NPS survey together.",
         "Imported the customer list; sent the checklist afterwards."),
        ("一起配置了两个触点和客服NPS问卷。", "导入了客户名单，会后发送了检查清单。"),
    ),
    DemoTouchpoint(
        "Support ticket", "usage", "email", "inbound",
        ("Password reset email not arriving", "CSV import fails on row 512",
         "Question about the latest invoice", "Webhook returns 401",
         "Cannot add a new user"),
        ("收不到重置密码邮件", "CSV导入在第512行报错", "关于最新发票的问题",
         "Webhook返回401错误", "无法添加新用户"),
        ("Reproduced it and sent the steps to fix; the customer confirmed.",
         "Escalated to engineering and gave a workaround meanwhile."),
        ("已复现问题并发送解决步骤，客户确认已解决。", "已升级给研发，先提供了临时方案。"),
    ),
    DemoTouchpoint(
        "Support chat", "usage", "chat", "inbound",
        ("Chat: how to export responses", "Chat: changing the survey wording",
         "Chat: adding a team member"),
        ("在线咨询：如何导出答卷", "在线咨询：修改问卷措辞", "在线咨询：添加团队成员"),
        ("Answered with a help-centre link.", "Fixed it together in the chat."),
        ("发送了帮助中心链接进行解答。", "在对话中一起解决了问题。"),
    ),
    DemoTouchpoint(
        "Support call", "usage", "phone", "inbound",
        ("Call: dashboard numbers look wrong", "Call: survey emails going to spam",
         "Call: single sign-on setup"),
        ("电话：看板数据异常", "电话：调查邮件进了垃圾箱", "电话：单点登录配置"),
        ("Walked through the settings on a screen share.",),
        ("通过屏幕共享逐步检查了设置。",),
    ),
    DemoTouchpoint(
        "Renewal meeting", "repurchase", "meeting", "outbound",
        ("Annual renewal review", "Renewal: adding two seats"),
        ("年度续约评审", "续约：增加两个席位"),
        ("Happy overall; asked for better reporting.",),
        ("整体满意，希望报表功能再加强。",),
    ),
    DemoTouchpoint(
        "Upgrade request", "repurchase", "email", "inbound",
        ("Asked to upgrade to the Business plan", "Asked for an add-on quote"),
        ("申请升级到商业版", "询问增值模块报价"),
        ("Sent the quote; decision expected next week.",),
        ("已发送报价，预计下周确定。",),
    ),
    DemoTouchpoint(
        "Referral programme", "advocacy", "email", "inbound",
        ("Referred a partner company", "Joined the referral programme"),
        ("推荐了一家合作伙伴公司", "加入客户推荐计划"),
        ("Referral credit applied to the next invoice.",),
        ("推荐奖励将抵扣下期账单。",),
    ),
    DemoTouchpoint(
        "Case study interview", "advocacy", "meeting", "outbound",
        ("Case study interview", "Customer story photo shoot"),
        ("客户案例访谈", "客户故事拍摄"),
        ("Approved a quote for the website.",),
        ("已同意在官网引用其评价。",),
    ),
    DemoTouchpoint(
        "Product review", "advocacy", "social", "inbound",
        ("Posted a five-star review", "Shared us on LinkedIn"),
        ("发布了五星好评", "在朋友圈分享了我们的产品"),
        ("Thanked them in a direct message.",),
        ("已私信致谢。",),
    ),
]

SUPPORT_TOUCHPOINTS = ["Support ticket", "Support chat", "Support call"]
ONBOARDING_TOUCHPOINTS = ["Onboarding call"]
NPS_SURVEY_NAME = "Support NPS"
CSAT_SURVEY_NAME = "Onboarding CSAT"

# Answers after a support interaction (NPS) and after onboarding (CSAT), by
# band and language. Negative answers name the root cause a case owner would
# later record, so that the demo's cases read true.
PositiveComments = dict[str, tuple[str, ...]]
NegativeComments = dict[str, tuple[tuple[str, str], ...]]

SUPPORT_PROMOTER: PositiveComments = {
    "en": (
        "Sorted out my billing question in one call. Really impressed.",
        "Quick, friendly answer and the fix worked first time.",
        "Support actually understood the problem instead of reading from a script.",
        "Great product, and the team behind it clearly cares.",
        "The chat reply came within minutes. That's why we keep recommending you.",
        "Solved in one go, with clear steps I could share with my team.",
        "Reliable, easy to use, and help is there when we need it.",
        "Already recommended you to two other practices in our area.",
    ),
    "zh-hans": (
        "客服一次就帮我解决了账单问题，效率很高，非常满意。",
        "回复很快，而且第一次给的方案就解决了问题。",
        "技术支持真正理解我们的问题，不是照本宣科。",
        "产品好用，团队也很负责，已经推荐给同行了。",
        "在线客服几分钟就回复了，这是我们愿意推荐你们的原因。",
        "步骤写得很清楚，我直接转给同事就能照做。",
        "系统稳定，遇到问题随时有人帮忙。",
    ),
}
SUPPORT_PASSIVE: PositiveComments = {
    "en": (
        "Got there in the end, but it took two emails to explain the issue.",
        "Good product. The reporting could be more flexible.",
        "The answer was fine, a bit slow on a busy Monday.",
        "Does what we need. Pricing is on the high side for a team our size.",
        "Helpful, though I had to repeat my account details twice.",
        "Solid overall; the mobile app still feels behind the web version.",
    ),
    "zh-hans": (
        "最后解决了，但来回沟通了好几次才说清楚问题。",
        "产品不错，报表功能希望能更灵活一些。",
        "回复还可以，就是周一高峰期有点慢。",
        "基本满足需求，对我们这样的小团队来说价格偏高。",
        "服务挺好，不过要反复提供账号信息。",
        "整体可以，手机端体验还不如网页版。",
    ),
}
SUPPORT_DETRACTOR: NegativeComments = {
    "en": (
        ("Slow response", "Three days for a first reply on an urgent ticket is not acceptable."),
        ("Slow response", "I was passed between three people and nobody owned the problem."),
        ("Billing", "We were charged twice in March and it still isn't refunded."),
        ("Billing", "The invoice doesn't match the quote we signed. Very frustrating."),
        ("Product defect", "The export keeps failing on large files and the workaround is painful."),
        ("Product defect", "Sync broke after the last update and we lost a morning of work."),
        ("Missing feature", "Still no single sign-on. We can't roll this out company-wide without it."),
        ("Staff behaviour", "The agent was dismissive and closed the ticket before I could reply."),
        ("Delivery", "The replacement hardware arrived a week late and nobody told us."),
        ("Other", "Not sure this is worth the money for us any more."),
    ),
    "zh-hans": (
        ("Slow response", "紧急工单等了三天才有第一次回复，实在无法接受。"),
        ("Slow response", "被转了三个人，没有一个人真正负责这个问题。"),
        ("Billing", "三月份被重复扣费，到现在还没退款。"),
        ("Billing", "发票金额和签约时的报价对不上，非常失望。"),
        ("Product defect", "大文件导出一直失败，临时方案太麻烦了。"),
        ("Product defect", "上次更新后数据同步出问题，耽误了我们一上午。"),
        ("Missing feature", "到现在还不支持企业微信登录，没法在全公司推广。"),
        ("Staff behaviour", "客服态度敷衍，我还没回复就把工单关了。"),
        ("Delivery", "替换的设备晚到了一周，也没有人通知我们。"),
        ("Other", "感觉性价比不高，正在考虑其他方案。"),
    ),
}
ONBOARDING_PROMOTER: PositiveComments = {
    "en": (
        "Clear onboarding session; we were live the same afternoon.",
        "The trainer walked us through every setting and was very patient.",
        "Exactly the right amount of detail for our team.",
        "Loved the checklist we got afterwards.",
        "Smooth import of our customer list, no surprises.",
    ),
    "zh-hans": (
        "上线培训讲得很清楚，当天下午就用起来了。",
        "培训老师很耐心，把每个设置都讲了一遍。",
        "讲解的深度刚好适合我们团队。",
        "培训后发的检查清单非常实用。",
        "客户数据导入很顺利，没有任何意外。",
    ),
}
ONBOARDING_PASSIVE: PositiveComments = {
    "en": (
        "Useful, but an hour was too short for everything we wanted to cover.",
        "Good session. Would have liked the slides in advance.",
        "Fine overall; the data import step was confusing.",
    ),
    "zh-hans": (
        "挺有用的，但一个小时不够讲完我们想了解的内容。",
        "培训不错，希望能提前拿到课件。",
        "整体还行，数据导入那一步有点绕。",
    ),
}
ONBOARDING_DETRACTOR: NegativeComments = {
    "en": (
        ("Product defect", "The import tool crashed twice during the call."),
        ("Slow response", "We waited two weeks for an onboarding slot."),
        ("Missing feature", "The integration promised in the sales call doesn't exist yet."),
        ("Staff behaviour", "The trainer was late and clearly unprepared."),
        ("Billing", "Onboarding was sold as included, then invoiced separately."),
    ),
    "zh-hans": (
        ("Product defect", "培训过程中导入工具崩溃了两次。"),
        ("Slow response", "等了两周才排到上线培训。"),
        ("Missing feature", "销售承诺的集成功能其实还没有上线。"),
        ("Staff behaviour", "培训老师迟到，而且明显没有准备。"),
        ("Billing", "说好上线培训免费，结果又单独收费。"),
    ),
}

# What the case owner did, by root cause, in the owner's working language.
RESOLUTIONS: dict[str, dict[str, str]] = {
    "Product defect": {
        "en": "Reproduced the bug; engineering shipped a fix in 4.2.1 and the customer confirmed it works.",
        "zh-hans": "已复现问题，研发在4.2.1版本中修复，并已和客户确认恢复正常。",
    },
    "Slow response": {
        "en": "Apologised, moved the account to the priority queue and gave a direct contact.",
        "zh-hans": "已致歉，将该客户加入优先队列，并提供了专属联系人。",
    },
    "Billing": {
        "en": "Refunded the duplicate charge and sent a corrected invoice.",
        "zh-hans": "已退还重复扣款，并重新开具了正确的发票。",
    },
    "Staff behaviour": {
        "en": "Reviewed the ticket with the agent's lead and called the customer to apologise.",
        "zh-hans": "已与该客服的主管复盘工单，并致电客户道歉。",
    },
    "Missing feature": {
        "en": "Logged the request on the roadmap and shared the expected timeline.",
        "zh-hans": "已将需求记录到产品路线图，并告知客户预计上线时间。",
    },
    "Delivery": {
        "en": "Shipped the part by express and credited one month of service.",
        "zh-hans": "已加急补发配件，并赠送一个月服务。",
    },
    "Other": {
        "en": "Went through the plan options; the customer moved to a better-fitting tier.",
        "zh-hans": "与客户沟通了套餐方案，客户已切换到更合适的版本。",
    },
}

CONTACT_NOTES = {
    "en": "Called the customer, listened, and agreed the next steps.",
    "zh-hans": "已致电客户，了解情况并约定了后续步骤。",
}

# Why a staff member opened a case by hand (a call, a chat, a review meeting),
# and the root cause it turned out to have: the cases of each demo desk.
DESK_CASES: list[tuple[str, dict[str, str]]] = [
    ("Product defect", {
        "en": "Called: the export to Excel has failed for three days and their month-end report is due.",
        "zh-hans": "客户来电：导出Excel已经连续三天失败，月底报表急着要用。",
    }),
    ("Slow response", {
        "en": "Chased us twice by email about a ticket nobody answered; asks for a call back.",
        "zh-hans": "客户两次发邮件催问一张没人回复的工单，希望我们回电。",
    }),
    ("Missing feature", {
        "en": "Said at the quarterly review that they will look elsewhere without single sign-on.",
        "zh-hans": "季度回顾会上客户表示，如果没有单点登录就会考虑其他产品。",
    }),
    ("Billing", {
        "en": "Charged twice for this month's subscription; wants the money back.",
        "zh-hans": "本月订阅被重复扣费，客户要求退款。",
    }),
    ("Delivery", {
        "en": "The replacement card reader promised for Monday has not arrived.",
        "zh-hans": "承诺周一送到的替换读卡器至今未到。",
    }),
]

# fmt: on

TOUCHPOINTS_BY_NAME = {entry.name: entry for entry in TOUCHPOINTS}
TOUCHPOINTS_BY_STAGE: dict[str, list[DemoTouchpoint]] = {}
for _entry in TOUCHPOINTS:
    TOUCHPOINTS_BY_STAGE.setdefault(_entry.stage, []).append(_entry)

POSITIVE_COMMENTS = {
    ("nps", "promoter"): SUPPORT_PROMOTER,
    ("nps", "passive"): SUPPORT_PASSIVE,
    ("csat", "promoter"): ONBOARDING_PROMOTER,
    ("csat", "passive"): ONBOARDING_PASSIVE,
}
NEGATIVE_COMMENTS = {"nps": SUPPORT_DETRACTOR, "csat": ONBOARDING_DETRACTOR}


def timezone_choices(language: str) -> list[str]:
    return ENGLISH_TIMEZONES if language == "en" else CHINESE_TIMEZONES


def person_name(rng: random.Random, language: str) -> tuple[str, str]:
    """A realistic name, and the local part of the address its owner would pick."""
    if language == "en":
        first = rng.choice(ENGLISH_FIRST_NAMES)
        last = rng.choice(ENGLISH_LAST_NAMES)
        return f"{first} {last}", f"{first}.{last}".lower().replace("'", "")
    surname, surname_pinyin, _ = rng.choices(CHINESE_SURNAMES, SURNAME_WEIGHTS)[0]
    given, given_pinyin = rng.choice(CHINESE_GIVEN_NAMES)
    return f"{surname}{given}", f"{surname_pinyin}.{given_pinyin}"


SURNAME_WEIGHTS = [weight for _, _, weight in CHINESE_SURNAMES]


# Scores within each band, with their weights.
SCORES: dict[str, dict[str, tuple[list[int], list[int]]]] = {
    "nps": {
        "promoter": ([9, 10], [45, 55]),
        "passive": ([7, 8], [45, 55]),
        "detractor": ([0, 1, 2, 3, 4, 5, 6], [1, 1, 2, 3, 4, 6, 8]),
    },
    "csat": {
        "promoter": ([4, 5], [45, 55]),
        "passive": ([3], [1]),
        "detractor": ([1, 2], [35, 65]),
    },
}


def band_shares(kind: str, age: float) -> dict[str, float]:
    """The band mix, improving a little over time (age 1 = oldest, 0 = now).

    NPS comes out around +25, CSAT around 80 %.
    """
    if kind == "nps":
        detractor, promoter = 0.20 + 0.08 * age, 0.52 - 0.06 * age
    else:
        detractor, promoter = 0.10 + 0.05 * age, 0.74 - 0.06 * age
    passive = 1 - detractor - promoter
    return {"promoter": promoter, "passive": passive, "detractor": detractor}


def score_in(rng: random.Random, kind: str, band: str) -> int:
    values, weights = SCORES[kind][band]
    return rng.choices(values, weights)[0]


def draw_score(rng: random.Random, kind: str, age: float) -> int:
    """An independent draw: right on average, over many answers."""
    shares = band_shares(kind, age)
    band = rng.choices(list(shares), list(shares.values()))[0]
    return score_in(rng, kind, band)


class BandMix:
    """Draws whose band mix stays close to the target at every count.

    Independent draws leave a small demo's NPS anywhere in ±15 points of its
    target; carrying each band's shortfall over to the next draw keeps the
    running shares within one answer of it.
    """

    def __init__(self) -> None:
        self.credit: dict[tuple[str, str], float] = {}

    def draw_score(self, rng: random.Random, kind: str, age: float) -> int:
        shares = band_shares(kind, age)
        for band, share in shares.items():
            self.credit[kind, band] = self.credit.get((kind, band), 0.0) + share
        band = max(shares, key=lambda b: (self.credit[kind, b], rng.random()))
        self.credit[kind, band] -= 1
        return score_in(rng, kind, band)


def comment(rng: random.Random, kind: str, band: str, language: str) -> tuple[str, str]:
    """A comment in the customer's language, and the root cause it points at."""
    if band == "detractor":
        cause, text = rng.choice(NEGATIVE_COMMENTS[kind][language])
        return text, cause
    return rng.choice(POSITIVE_COMMENTS[kind, band][language]), ""
