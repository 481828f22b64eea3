"""Whole conversations as data: (what the applicant types, what the reply must contain).

The expected part is a string, or a tuple of strings that must all appear. Written the way
people type: typos, full-width digits, several date formats, Chinese command words.
"""

from __future__ import annotations

Expect = str | tuple[str, ...]
Transcript = list[tuple[str, Expect]]

# An enterprise, maintained here with its server in Hangzhou (two bureaus, in order).
ENTERPRISE: Transcript = [
    ("企叶", ("✔ 企业", "网站系统在哪里维护")),  # a typo still picks 企业
    ("本市", "网站服务器放在哪里"),
    ("２", "服务器在哪个城市"),  # full-width digit = option 2 (外地)
    ("杭州", ("【备案地点】", "1. 示例市公安局", "2. 服务器托管地（杭州）", "先到")),
    ("2026年11月20日", ("2026年12月21日", "还剩23天", "开办单位的全称")),
    ("示例云帆科技有限公司", "统一社会信用代码"),
    ("91330106MA2B3C4D5X", ("这个答案不对", "校验", "统一社会信用代码")),  # bad check digit
    ("91330106ma2b3c4d5d", "通信地址"),  # lower case is fine
    ("示例市示例区云帆路88号云帆大厦12层", "邮政编码"),
    ("３１００１２", "固定电话"),  # full-width digits
    ("0571-88886666", "法定代表人/负责人的姓名"),
    ("林云帆", "身份证号码"),
    ("330106198506120015", "手机号码"),
    ("138 0013 8000", "电子邮箱"),
    ("linyf@yunfan.example.cn", "网站叫什么名字"),
    ("云帆科技官网", "域名"),
    ("www.yunfan.example.cn、yunfan.example.cn", "公网IP"),  # several at once: moves on
    ("47.96.12.34", ("已记录：47.96.12.34", "完成")),  # one by one: collects
    ("完成", "ICP备案号"),
    ("浙ICP备2025012345号-1", "接入"),
    ("阿里云计算有限公司", "接入方式"),
    ("云服务器", ("✔ 云主机", "物理地址")),
    ("浙江省杭州市余杭区（阿里云华东1可用区）", "提供哪些服务"),
    ("1", ("已记录：单位门户网站", "完成")),
    ("完成", "交互式服务"),
    ("没有", ("✔ 否", "前置审批")),
    ("无", "网络安全负责人是否就是法定代表人"),
    ("否", "网络安全负责人的姓名"),
    ("周安", "网络安全负责人的18位"),
    ("330102199001010020", "网络安全负责人的手机"),
    ("13900139000", "网络安全负责人的电子邮箱"),
    ("security@yunfan.example.cn", "24小时应急联系人是谁"),
    ("另填一人", "24小时应急联系人的姓名"),
    ("陈急", "身份证号码"),
    ("330106199203150035", "手机"),
    ("13700137000", "电子邮箱"),
    ("oncall@yunfan.example.cn", ("请核对你的全部信息", "云帆科技官网", "确认提交")),
    ("/edit 域名", ("域名", "当前答案：www.yunfan.example.cn、yunfan.example.cn")),
    ("www.yunfan.example.cn, yunfan.example.cn, m.yunfan.example.cn", ("请核对", "m.yunfan")),
    ("确认", ("已提交", "【接下来】", "2026年12月21日前")),
]

# A public institution maintained in Shanghai with its server here; interactive services.
GOVERNMENT: Transcript = [
    ("事业单位", ("✔ 政府机关、事业单位", "网站系统在哪里维护")),
    ("外地", "在哪个城市维护"),
    ("上海", "网站服务器放在哪里"),
    ("本地", ("【备案地点】", "1. 网站系统维护地（上海）", "2. 示例市公安局", "先到")),
    ("2026/11/2", ("2026年12月2日", "还剩4天")),
    ("示例市图书馆", "统一社会信用代码"),
    ("12330100MB1234567B", "通信地址"),
    ("示例市示例区文化路1号", "邮政编码"),
    ("310000", "固定电话"),
    ("0571-87654321", "姓名"),
    ("王书海", "身份证"),
    ("110108198808080049", "手机"),
    ("13600136000", "电子邮箱"),
    ("/skip", "网站叫什么名字"),
    ("示例市图书馆", "域名"),
    ("lib.example.gov.cn", "已记录"),
    ("完成", "IP"),
    ("47.96.12.35、240e:3b0::1", "ICP"),
    ("浙ICP备12345678号-2", "接入"),
    ("中国电信股份有限公司示例分公司", "接入方式"),
    ("托管", ("✔ 主机托管", "物理地址")),
    ("示例市示例区数据中心路9号 电信IDC机房", "服务"),
    ("1、2", "交互式"),  # two at once: moves on
    ("是", "有哪些交互式栏目"),
    ("读者留言板，在线咨询", "前置审批"),
    ("/skip", "网络安全负责人是否"),
    ("不是", "姓名"),
    ("赵守", "身份证"),
    ("330105199511200050", "手机"),
    ("13500135000", "邮箱"),
    ("it@lib.example.gov.cn", "应急联系人是谁"),
    ("2", ("✔ 同安全负责人", "请核对", "读者留言板、在线咨询", "确认提交")),
    ("1", ("已提交", "【接下来】")),
]

# A personal blog: no USCC, no legal representative; the person's own ID.
INDIVIDUAL: Transcript = [
    ("个人网站", ("✔ 个人", "维护")),
    ("1", "服务器"),
    ("1", ("【备案地点】", "只需到示例市公安局")),
    ("11月25日", ("2026年12月25日", "还剩27天", "请输入你的姓名")),
    ("林小𠮷", "你的18位居民身份证号码"),
    ("91330106MA2B3C4D5D", ("这个答案不对", "18位")),  # a USCC where an ID belongs
    ("330106198506120015", "通信地址"),
    ("示例市示例区㵘水街3号2单元501室", "邮政编码"),
    ("310013", "你的手机号码"),  # no office phone, no representative for a person
    ("13800138000", "你的电子邮箱"),
    ("xiaoji@example.cn", "网站叫什么名字"),
    ("小𠮷的笔记", "域名"),
    ("blog.xiaoji.example.cn", "已记录"),
    ("好了", "IP"),
    ("47.96.12.36", "已记录"),
    ("done", "ICP"),
    ("浙ICP备2026001234号-1", "接入"),
    ("腾讯云计算（北京）有限责任公司", "接入方式"),
    ("4", "物理地址"),
    ("示例市示例区云计算中心", "服务"),
    ("博客", "已记录：博客/个人空间"),
    ("完成", "交互式"),
    ("否", "前置审批"),
    ("无", "就是你本人"),
    ("是", ("应急联系人是谁", "本人")),
    ("另填一人", "姓名"),
    ("林大𠮷", "身份证"),
    ("330102199001010020", "手机"),
    ("13900139000", "邮箱"),
    ("跳过", ("请核对", "林小𠮷", "林大𠮷")),
    ("确认提交", "已提交"),
]

SUBMITTING = {"enterprise": ENTERPRISE, "government": GOVERNMENT, "individual": INDIVIDUAL}
