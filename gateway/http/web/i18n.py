"""The catalogue pages in Chinese and English: which language a request gets, and the page texts.

Chinese is the default; ``?lang=en`` (or ``zh``) chooses explicitly, otherwise the browser's
``Accept-Language`` decides. An explicit choice is carried in every link and form of the page, so
it persists while a person browses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from werkzeug.datastructures import LanguageAccept

K = TypeVar("K")

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
#: The value of the html ``lang`` attribute (BCP 47) for each language.
HTML_LANG = {"zh": "zh-CN", "en": "en"}


@dataclass(frozen=True, slots=True)
class Language:
    """The language of one page, and whether the person chose it (then links carry it)."""

    code: str
    explicit: bool

    @property
    def other(self) -> str:
        return "en" if self.code == "zh" else "zh"


def negotiate(chosen: str | None, accept: LanguageAccept) -> Language:
    """``lang`` from the URL when it names a language, else the best of Accept-Language."""
    if chosen in LANGUAGES:
        return Language(chosen, explicit=True)
    best = accept.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)
    return Language(best or DEFAULT_LANGUAGE, explicit=False)


# Every text of the pages, by key: (Chinese, English).
MESSAGES: Mapping[str, tuple[str, str]] = {
    "site.name": ("京津冀公共数据目录", "JJJ Public Data Catalogue"),
    "site.tagline": (
        "北京、天津、河北三地可共享的公共数据：有什么、谁提供、在哪些区域、如何申请使用。",
        "Public data shared across Beijing, Tianjin and Hebei: what exists, who provides it, "
        "where it is served and how to get access.",
    ),
    "site.skip": ("跳到主要内容", "Skip to main content"),
    "nav.label": ("主导航", "Main"),
    "nav.catalogue": ("数据目录", "Catalogue"),
    "nav.regions": ("按区域浏览", "Browse by region"),
    "nav.api": ("API 文档", "API docs"),
    "lang.switch": ("English", "中文"),
    "lang.switch.label": ("Switch to English", "切换到中文"),
    "footer.api": ("同样的信息也以 JSON 提供：", "The same information as JSON:"),
    "footer.model": (
        "统一授权 · 分级使用 · 归口管理",
        "Unified authorisation · tiered use · centralised management",
    ),
    # search
    "search.label": ("搜索数据集", "Search datasets"),
    "search.placeholder": ("例如：企业、社保、PM2.5", "e.g. enterprise, pension, PM2.5"),
    "search.submit": ("搜索", "Search"),
    "search.sort": ("排序", "Sort by"),
    "sort.relevance": ("相关度", "Relevance"),
    "sort.title": ("标题", "Title"),
    "search.filters": ("筛选", "Filters"),
    "search.clear": ("清除全部条件", "Clear all"),
    "search.remove": ("移除条件", "Remove filter"),
    "search.active": ("已选条件", "Active filters"),
    "search.total": ("共 {total} 个数据集", "{total} datasets"),
    "search.total.one": ("共 1 个数据集", "1 dataset"),
    "search.total.q": ("“{q}”：共 {total} 个数据集", "{total} datasets for “{q}”"),
    "search.total.q.one": ("“{q}”：共 1 个数据集", "1 dataset for “{q}”"),
    "search.none": (
        "没有符合条件的数据集。请尝试更短的关键词或减少筛选条件。",
        "No dataset matches. Try a shorter word or fewer filters.",
    ),
    "search.ignored": ("已忽略无效的条件：{names}", "Ignored invalid conditions: {names}"),
    "search.page.out": ("这一页没有结果。", "There are no results on this page."),
    "search.page.first": ("回到第一页", "Back to the first page"),
    "facet.theme": ("主题", "Theme"),
    "facet.shareType": ("共享类型", "Share type"),
    "facet.level": ("数据分级", "Data level"),
    "facet.provider": ("提供部门", "Provider"),
    "facet.region": ("区域", "Region"),
    "facet.count": ("{count} 个数据集", "{count} datasets"),
    "pager.label": ("分页", "Pagination"),
    "pager.prev": ("上一页", "Previous page"),
    "pager.next": ("下一页", "Next page"),
    "pager.page": ("第 {page} 页", "Page {page}"),
    "pager.of": ("第 {page} / {pages} 页", "Page {page} of {pages}"),
    # dataset cards and page
    "ds.provider": ("提供部门", "Provider"),
    "ds.themes": ("主题", "Themes"),
    "ds.keywords": ("关键词", "Keywords"),
    "ds.frequency": ("更新频率", "Update frequency"),
    "ds.modified": ("最近更新", "Last updated"),
    "ds.issued": ("首次发布", "First published"),
    "ds.key": ("主键字段", "Key field"),
    "ds.license": ("许可", "Licence"),
    "ds.contact": ("联系", "Contact"),
    "ds.regions": ("服务区域", "Regions served"),
    "ds.titles": ("名称", "Titles"),
    "ds.about": ("概况", "Overview"),
    "ds.breadcrumb": ("位置", "Breadcrumb"),
    "ds.sharing": ("共享与分级", "Sharing and level"),
    "ds.fields": ("字段", "Fields"),
    "ds.fields.caption": (
        "{title}的字段：名称、类型、说明、分级和敏感类别",
        "Fields of {title}: name, type, description, level and sensitivity",
    ),
    "ds.field.name": ("字段名", "Field"),
    "ds.field.type": ("类型", "Type"),
    "ds.field.description": ("说明", "Description"),
    "ds.field.level": ("分级", "Level"),
    "ds.field.sensitivity": ("敏感类别", "Sensitivity"),
    "ds.field.filters": ("可筛选", "Filter"),
    "ds.nodes": ("提供数据的节点与区域", "Nodes and the regions they serve"),
    "ds.nodes.intro": (
        "网关把每个请求路由到持有该区域数据的节点；每个区域只由一个节点提供。",
        "The gateway routes each request to the node that holds the region's data; each region "
        "is served by exactly one node.",
    ),
    "ds.nodes.caption": ("提供{title}的节点", "Nodes serving {title}"),
    "ds.node": ("节点", "Node"),
    "ds.node.level": ("层级", "Level"),
    "ds.node.regions": ("服务区域", "Regions"),
    "ds.node.none": (
        "没有节点提供这个数据集：它只列入目录，不提供数据。",
        "No node serves this dataset: it is listed in the catalogue, and never served.",
    ),
    "ds.node.highlight": ("服务{region}", "serves {region}"),
    "ds.access": ("如何获取", "How to get access"),
    "ds.access.share": ("共享类型", "Share type"),
    "ds.access.tier": ("最低可用等级", "Lowest tier admitted"),
    "ds.level.tiers": ("可读取的使用等级：{tiers}。", "Tiers that may read it: {tiers}."),
    "ds.access.tier.none": ("没有等级可以读取它", "No tier may read it"),
    "ds.access.grant": ("是否需要授权", "Grant needed"),
    "ds.access.grant.yes": (
        "需要：须持有本客户端、本数据集、本用途的有效授权",
        "Yes: an active grant for your client, this dataset and the purpose",
    ),
    "ds.access.grant.no": ("不需要", "No"),
    "ds.access.scope": ("所需权限范围", "Scope needed"),
    "ds.access.purposes": ("用途", "Purposes"),
    "ds.access.purposes.any": (
        "每个请求须在 X-Purpose 请求头中声明用途目录中的一个用途，并记入审计记录：",
        "Every request states one purpose of the vocabulary in the X-Purpose header; it is "
        "recorded in the audit trail:",
    ),
    "ds.access.purposes.grant": (
        "授权按用途签发：每项授权只对一个用途有效。用途目录：",
        "A grant is issued for one purpose and is valid for that purpose only. The purposes:",
    ),
    "ds.access.steps": ("申请步骤", "Steps"),
    "ds.access.step.register": (
        "向网关管理员登记客户端，获得客户端标识和密钥，以及相应的使用等级。",
        "Have the gateway administrator register your client: you get a client id, a secret and "
        "a tier.",
    ),
    "ds.access.step.grant": (
        "向数据提供部门的归口管理部门申请授权：写明客户端、数据集、用途、所需字段和区域及法律依据。",
        "Apply to the provider's sharing office for a grant: name the client, the dataset, the "
        "purpose, the fields and regions you need and the legal basis.",
    ),
    "ds.access.step.token": (
        "用客户端凭证在 /oauth/token 换取访问令牌（client_credentials）。",
        "Exchange your client credentials for an access token at /oauth/token "
        "(client_credentials).",
    ),
    "ds.access.step.request": (
        "携带令牌和用途调用数据接口，如下例所示。",
        "Call the data API with the token and a purpose, as in the example below.",
    ),
    "ds.plan": ("各等级看到的字段", "What each tier sees"),
    "ds.plan.intro": (
        "未经授权列出时，个人信息字段按等级的遮蔽方式处理；高于等级的字段不提供。",
        "Personal fields that no grant names are masked by the tier's profile; fields above the "
        "tier's level are not delivered.",
    ),
    "ds.plan.rest": (
        "其余字段对所有可用等级都以明文提供：",
        "Every other field reaches every admitted tier in clear:",
    ),
    "ds.plan.caption": ("各使用等级看到的{title}字段", "Fields of {title} as each tier sees them"),
    "ds.preview": ("数据预览", "Data preview"),
    "ds.preview.intro": (
        "目录条目中的合成示例记录，按{tier}等级（未登录的读者）实际收到的样子显示：由网关的策略"
        "决定，并以同一套脱敏代码处理。",
        "Synthetic example records from the catalogue entry, shown as the {tier} tier (a reader "
        "who is not signed in) would receive them: decided by the gateway's policies and masked "
        "by the same masking code.",
    ),
    "ds.preview.none": ("没有可显示的预览：", "No preview for the {tier} tier:"),
    "ds.preview.caption": (
        "{title}的示例记录（{tier}等级所见）",
        "Example records of {title} as the {tier} tier sees them",
    ),
    "ds.preview.grant": (
        "有条件共享的数据集只向持有本数据集、本用途有效授权的客户端提供。",
        "A conditionally shared dataset is served only to clients holding an active grant for "
        "it and the purpose.",
    ),
    "ds.preview.field": ("字段", "Field"),
    "ds.preview.record": ("示例 {n}", "Example {n}"),
    "ds.preview.dropped": ("该等级收不到的字段：", "Fields this tier does not receive:"),
    "ds.preview.audit": (
        "预览不调用任何节点，不显示节点持有的记录，因此不是数据交换，不记入审计记录。",
        "A preview calls no node and shows no record a node holds, so it is not an exchange and "
        "is not audited.",
    ),
    "ds.sample": ("请求示例", "Sample request"),
    "ds.sample.intro": (
        "把 CLIENT_ID 和 CLIENT_SECRET 换成你的客户端凭证。",
        "Replace CLIENT_ID and CLIENT_SECRET with your client's credentials.",
    ),
    "ds.sample.token": ("1. 换取访问令牌", "1. Get an access token"),
    "ds.sample.key": (
        "2. 按主键查询一条记录（示例主键 {key}，不一定有对应记录）",
        "2. Look up one record by its key (an example key {key}; it may match no record)",
    ),
    "ds.sample.query": ("3. 按条件查询记录", "3. Query records with a filter"),
    "ds.json": ("以机器可读格式获取", "Machine-readable"),
    "ds.json.entry": ("目录条目（含字段、节点和区域）", "Catalogue entry (fields, nodes, regions)"),
    "ds.json.records": ("记录接口（需令牌）", "Records endpoint (token required)"),
    "ds.json.dcat": ("整个目录的 DCAT-AP 导出", "DCAT-AP export of the whole catalogue"),
    "ds.json.rdf": (
        "本数据集的 DCAT-AP 描述（Turtle）",
        "DCAT-AP description of this dataset (Turtle)",
    ),
    "ds.json.openapi": ("OpenAPI 描述", "OpenAPI description"),
    "ds.back": ("返回数据目录", "Back to the catalogue"),
    # regions
    "regions.heading": ("按区域浏览", "Browse by region"),
    "regions.intro": (
        "京津冀三地的行政区划（GB/T 2260），以及每个区域可获取的数据集。",
        "The administrative divisions of Beijing, Tianjin and Hebei (GB/T 2260) and the datasets "
        "served in each.",
    ),
    "regions.datasets": ("{count} 个数据集", "{count} datasets"),
    "regions.datasets.one": ("1 个数据集", "1 dataset"),
    "regions.nonstandard": ("非国标区划", "Non-standard"),
    "regions.nonstandard.note": (
        "没有 GB/T 2260 代码：本项目自定义的区域组合，包括{members}。",
        "No GB/T 2260 code: a project-local grouping of {members}.",
    ),
    "regions.grouping.note": (
        "本项目自定义的区域组合，不是 GB/T 2260 区划，包括：{members}。",
        "A project-local grouping, not a GB/T 2260 division, of: {members}.",
    ),
    "regions.code": ("区划代码", "Division code"),
    "regions.children": ("下级区域", "Divisions"),
    "regions.served": ("在{region}可获取的数据集", "Datasets served in {region}"),
    "regions.served.none": (
        "目前没有节点在此区域提供数据集。",
        "No node serves a dataset here yet.",
    ),
    "regions.served.by": ("由{nodes}提供", "served by {nodes}"),
    "regions.served.listed": ("仅列目，不提供数据", "listed, not served"),
    "regions.search": ("在数据目录中按{region}筛选", "Filter the catalogue by {region}"),
    "regions.all": ("全部区域", "All regions"),
    # errors
    "error.404.title": ("找不到这个页面", "Page not found"),
    "error.404.text": (
        "地址可能有误，或者数据集已从目录中移除。",
        "The address may be mistyped, or the dataset may have left the catalogue.",
    ),
    "error.dataset.title": ("目录中没有这个数据集", "No such dataset in the catalogue"),
    "error.dataset.text": (
        "目录中没有标识为 “{id}” 的数据集。",
        "The catalogue holds no dataset with the identifier “{id}”.",
    ),
    "error.405.title": ("不支持这种请求", "Method not allowed"),
    "error.405.text": ("这个页面只能浏览。", "This page can only be viewed."),
    "error.500.title": ("出了点问题", "Something went wrong"),
    "error.500.text": (
        "网关处理这个页面时出错，请稍后再试。",
        "The gateway could not show this page. Please try again later.",
    ),
    "error.other.title": ("无法显示这个页面", "This page cannot be shown"),
    "error.other.text": ("请求无法完成。", "The request could not be completed."),
    "error.home": ("返回数据目录首页", "Go to the catalogue home page"),
    # The API reference (/docs): its own chrome; the operations' texts are the OpenAPI
    # description's, in English.
    "docs.heading": ("API 参考", "API reference"),
    "docs.contents": ("目录", "Contents"),
    "docs.overview": ("概览", "Overview"),
    "docs.authentication": ("认证", "Authentication"),
    "docs.auth.text": (
        "OAuth 2.0 客户端凭证模式：向 {token_url} 申请访问令牌，并以 "
        "Authorization: Bearer <令牌> 发送。每个接口注明所需的权限范围；标为“公开”的接口无需令牌。",
        "OAuth 2.0 client credentials: get a token from {token_url} and send it as "
        "Authorization: Bearer <token>. Each operation states the scope it needs; operations "
        "marked public need no token.",
    ),
    "docs.scopes": ("权限范围", "Scopes"),
    "docs.scope": ("权限范围", "Scope"),
    "docs.grants": ("允许", "Grants"),
    "docs.server": ("服务地址", "Server"),
    "docs.description": ("描述文件", "Description"),
    "docs.operations": ("接口", "Operations"),
    "docs.operations.count": ("{count} 个接口", "{count} operations"),
    "docs.operations.count.one": ("1 个接口", "1 operation"),
    "docs.tag.page": ("{tag}：全部接口与数据结构", "{tag}: every operation and schema"),
    "docs.english": (
        "接口说明取自 OpenAPI 描述文件，为英文。",
        "The operations' texts are those of the OpenAPI description.",
    ),
    "docs.schemas": ("数据结构", "Schemas"),
    "docs.schemas.note": (
        "本页接口用到的数据结构。",
        "The schemas the operations of this page use.",
    ),
    "docs.parameters": ("{operation} 的参数", "Parameters of {operation}"),
    "docs.responses": ("{operation} 的响应", "Responses of {operation}"),
    "docs.properties": ("{schema} 的属性", "Properties of {schema}"),
    "docs.col.name": ("名称", "Name"),
    "docs.col.in": ("位置", "In"),
    "docs.col.type": ("类型", "Type"),
    "docs.col.description": ("说明", "Description"),
    "docs.col.status": ("状态码", "Status"),
    "docs.col.media": ("媒体类型", "Media type"),
    "docs.col.body": ("内容", "Body"),
    "docs.col.property": ("属性", "Property"),
    "docs.required": ("必填", "required"),
    "docs.public": ("公开", "public"),
    "docs.client_auth": ("客户端认证", "client authentication"),
    "docs.body": ("请求体", "Request body"),
}

THEMES: Mapping[str, tuple[str, str]] = {
    "economy": ("经济", "Economy"),
    "enterprise": ("企业", "Enterprise"),
    "credit": ("信用", "Credit"),
    "environment": ("生态环境", "Environment"),
    "government": ("政务", "Government"),
    "health": ("医疗卫生", "Health"),
    "public-service": ("公共服务", "Public service"),
    "science": ("科技", "Science and technology"),
    "housing": ("住房", "Housing"),
    "natural-resources": ("自然资源", "Natural resources"),
    "social-security": ("社会保障", "Social security"),
    "employment": ("就业", "Employment"),
    "education": ("教育", "Education"),
    "transport": ("交通", "Transport"),
}

SHARE_TYPES: Mapping[str, tuple[str, str]] = {
    "unconditional": ("无条件共享", "Unconditional sharing"),
    "conditional": ("有条件共享", "Conditional sharing"),
    "none": ("不予共享", "Not shared"),
}

SHARE_TYPE_TEXTS: Mapping[str, tuple[str, str]] = {
    "unconditional": (
        "任何登记的客户端都可以使用，只要数据分级不超过它的使用等级；不需要逐项授权。",
        "Any registered client may use it, as long as the data level is within its tier; no "
        "grant is needed.",
    ),
    "conditional": (
        "只有持有有效授权的客户端才能使用：授权针对客户端、数据集和一个用途，可以限定字段和区域。",
        "Only clients holding an active grant may use it: a grant names the client, the dataset "
        "and one purpose, and may limit the fields and regions.",
    ),
    "none": (
        "不予共享：只列入目录，以便了解它的存在和负责部门；网关从不提供其记录。",
        "Not shared: listed so that its existence and custodian can be found; the gateway never "
        "serves its records.",
    ),
}

LEVELS: Mapping[int, tuple[str, str]] = {
    1: ("公开", "Public"),
    2: ("内部", "Internal"),
    3: ("敏感", "Sensitive"),
    4: ("核心", "Core"),
}

LEVEL_TEXTS: Mapping[int, tuple[str, str]] = {
    1: ("可以向社会公开的数据。", "Data that may be made public."),
    2: (
        "限于政务部门和协议合作单位使用的数据。",
        "Data for use by government bodies and partner organisations under agreement.",
    ),
    3: (
        "含个人信息或其他敏感信息的数据，泄露会损害个人或单位的权益。",
        "Data holding personal or otherwise sensitive information whose disclosure would harm "
        "people or organisations.",
    ),
    4: (
        "核心数据，使用限制最严格的一级。",
        "Core data: the most restricted level.",
    ),
}

FREQUENCIES: Mapping[str, tuple[str, str]] = {
    "continuous": ("实时", "Continuous"),
    "hourly": ("每小时", "Hourly"),
    "daily": ("每日", "Daily"),
    "weekly": ("每周", "Weekly"),
    "monthly": ("每月", "Monthly"),
    "quarterly": ("每季度", "Quarterly"),
    "semiannual": ("每半年", "Every six months"),
    "annual": ("每年", "Annual"),
    "irregular": ("不定期", "Irregular"),
}

SENSITIVITIES: Mapping[str, tuple[str, str]] = {
    "person-name": ("姓名", "Person name"),
    "resident-id": ("身份证号", "Resident ID"),
    "phone": ("电话", "Phone"),
    "address": ("地址", "Address"),
    "birth-date": ("出生日期", "Birth date"),
    "bank-account": ("银行账号", "Bank account"),
    "free-text": ("自由文本", "Free text"),
}

FIELD_TYPES: Mapping[str, tuple[str, str]] = {
    "string": ("文本", "text"),
    "number": ("数值", "number"),
    "integer": ("整数", "integer"),
    "boolean": ("是/否", "yes/no"),
    "array": ("列表", "list"),
    "object": ("对象", "object"),
    "null": ("空", "null"),
}

#: How a field reaches a tier (policies' field plan): clear, a masking method, or dropped.
TREATMENTS: Mapping[str, tuple[str, str]] = {
    "clear": ("明文", "in clear"),
    "partial": ("部分遮蔽", "partly masked"),
    "hmac": ("假名", "pseudonym"),
    "generalise": ("概括", "generalised"),
    "redact": ("置空", "redacted"),
    "dropped": ("不提供", "not delivered"),
}

NODE_LEVELS: Mapping[str, tuple[str, str]] = {
    "province": ("省级", "Provincial"),
    "city": ("市级", "City"),
    "district": ("区级", "District"),
    "county": ("县级", "County"),
    "grouping": ("区域组合", "Grouping"),
}


class Translator:
    """The texts of one page in its language."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._index = 1 if language == "en" else 0

    def __call__(self, key: str, /, **values: object) -> str:
        """The text for ``key``, with ``{name}`` placeholders filled in."""
        text = MESSAGES[key][self._index]
        return text.format(**values) if values else text

    def pick(self, pair: tuple[str, str]) -> str:
        return pair[self._index]

    def label(self, table: Mapping[K, tuple[str, str]], value: K) -> str:
        """The label of a vocabulary value; the value itself when the vocabulary lacks it."""
        pair = table.get(value)
        return pair[self._index] if pair else str(value)

    def count(self, key: str, count: int, /, **values: object) -> str:
        """A text with a count, using the ``.one`` variant for exactly one when there is one."""
        if count == 1 and f"{key}.one" in MESSAGES:
            return self(f"{key}.one", **values)
        return self(key, count=count, total=count, **values)

    def theme(self, value: str) -> str:
        return self.label(THEMES, value)

    def share_type(self, value: str) -> str:
        return self.label(SHARE_TYPES, value)

    def share_text(self, value: str) -> str:
        return self.label(SHARE_TYPE_TEXTS, value)

    def level(self, value: int) -> str:
        return self.label(LEVELS, value)

    def level_text(self, value: int) -> str:
        return self.label(LEVEL_TEXTS, value)

    def frequency(self, value: str) -> str:
        return self.label(FREQUENCIES, value)

    def sensitivity(self, value: str) -> str:
        return self.label(SENSITIVITIES, value)

    def field_type(self, value: str | tuple[str, ...]) -> str:
        names = (value,) if isinstance(value, str) else value
        return " / ".join(self.label(FIELD_TYPES, name) for name in names if name != "null")

    def treatment(self, value: str) -> str:
        return self.label(TREATMENTS, value)

    def node_level(self, value: str) -> str:
        return self.label(NODE_LEVELS, value)

    def region(self, region: object) -> str:
        """A region's name (anything with ``zh`` and ``en``)."""
        return str(getattr(region, "en" if self.language == "en" else "zh"))

    def text(self, value: object) -> str:
        """An I18n catalogue text in this language."""
        return str(getattr(value, "en" if self.language == "en" else "zh"))
