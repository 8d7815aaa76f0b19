"""The texts of the catalogue pages and their reference, by key, and the labels of the
catalogue's vocabularies, in Chinese and English (a table of data: its length is its content)."""

from __future__ import annotations

from collections.abc import Mapping

from catalog import I18n

#: Every text of the pages, by key.
MESSAGES: Mapping[str, I18n] = {
    "site.name": I18n("京津冀公共数据目录", "JJJ Public Data Catalogue"),
    "site.tagline": I18n(
        "北京、天津、河北三地可共享的公共数据：有什么、谁提供、在哪些区域、如何申请使用。",
        "Public data shared across Beijing, Tianjin and Hebei: what exists, who provides it, "
        "where it is served and how to get access.",
    ),
    "site.skip": I18n("跳到主要内容", "Skip to main content"),
    "nav.label": I18n("主导航", "Main"),
    "nav.catalogue": I18n("数据目录", "Catalogue"),
    "nav.regions": I18n("按区域浏览", "Browse by region"),
    "nav.categories": I18n("按类别浏览", "Browse by category"),
    "nav.api": I18n("API 文档", "API docs"),
    "lang.switch": I18n("English", "中文"),
    "lang.switch.label": I18n("Switch to English", "切换到中文"),
    "list.separator": I18n("、", ", "),
    "footer.api": I18n("同样的信息也以 JSON 提供：", "The same information as JSON:"),
    "footer.model": I18n(
        "统一授权 · 分级使用 · 归口管理",
        "Unified authorisation · tiered use · centralised management",
    ),
    # search
    "search.label": I18n("搜索数据集", "Search datasets"),
    "search.placeholder": I18n("例如：企业、社保、PM2.5", "e.g. enterprise, pension, PM2.5"),
    "search.submit": I18n("搜索", "Search"),
    "search.sort": I18n("排序", "Sort by"),
    "sort.relevance": I18n("相关度", "Relevance"),
    "sort.title": I18n("标题", "Title"),
    "search.filters": I18n("筛选", "Filters"),
    "search.clear": I18n("清除全部条件", "Clear all"),
    "search.remove": I18n("移除条件", "Remove filter"),
    "search.active": I18n("已选条件", "Active filters"),
    "search.total": I18n("共 {total} 个数据集", "{total} datasets"),
    "search.total.one": I18n("共 1 个数据集", "1 dataset"),
    "search.total.q": I18n("“{q}”：共 {total} 个数据集", "{total} datasets for “{q}”"),
    "search.total.q.one": I18n("“{q}”：共 1 个数据集", "1 dataset for “{q}”"),
    "search.none": I18n(
        "没有符合条件的数据集。请尝试更短的关键词或减少筛选条件。",
        "No dataset matches. Try a shorter word or fewer filters.",
    ),
    "search.ignored": I18n("已忽略无效的条件：{names}", "Ignored invalid conditions: {names}"),
    "search.page.out": I18n("这一页没有结果。", "There are no results on this page."),
    "search.page.first": I18n("回到第一页", "Back to the first page"),
    "facet.domain": I18n("领域", "Domain"),
    "facet.category": I18n("类别", "Category"),
    "facet.theme": I18n("主题", "Theme"),
    "facet.shareType": I18n("共享类型", "Share type"),
    "facet.level": I18n("数据分级", "Data level"),
    "facet.provider": I18n("提供部门", "Provider"),
    "facet.region": I18n("区域", "Region"),
    "facet.count": I18n("{count} 个数据集", "{count} datasets"),
    "facet.more": I18n("全部 {total} 项", "All {total} values"),
    "facet.page.title": I18n("{facet}：全部取值", "{facet}: all values"),
    "facet.page.search": I18n("当前搜索", "This search"),
    "facet.page.lead": I18n(
        "共 {count} 个取值，涉及 {datasets} 个数据集。", "{count} values over {datasets} datasets."
    ),
    "facet.page.lead.one": I18n(
        "共 1 个取值，涉及 {datasets} 个数据集。", "1 value over {datasets} datasets."
    ),
    "facet.page.lead.search": I18n(
        "当前搜索的 {datasets} 个数据集共有 {count} 个取值。",
        "{count} values among the {datasets} datasets of this search.",
    ),
    "facet.page.lead.search.one": I18n(
        "当前搜索的 {datasets} 个数据集共有 1 个取值。",
        "1 value among the {datasets} datasets of this search.",
    ),
    "categories.heading": I18n("按类别浏览", "Browse by category"),
    "categories.intro": I18n(
        "数据目录分为 {domains} 个领域、{categories} 个类别。"
        "选择一个领域或类别，查看其中的数据集。",
        "The catalogue is classified into {domains} domains and {categories} categories. Choose "
        "one to see its datasets.",
    ),
    "pager.label": I18n("分页", "Pagination"),
    "pager.prev": I18n("上一页", "Previous page"),
    "pager.next": I18n("下一页", "Next page"),
    "pager.page": I18n("第 {page} 页", "Page {page}"),
    "pager.of": I18n("第 {page} / {pages} 页", "Page {page} of {pages}"),
    # dataset cards and page
    "ds.provider": I18n("提供部门", "Provider"),
    "ds.themes": I18n("主题", "Themes"),
    "ds.category": I18n("类别", "Category"),
    "ds.keywords": I18n("关键词", "Keywords"),
    "ds.frequency": I18n("更新频率", "Update frequency"),
    "ds.modified": I18n("最近更新", "Last updated"),
    "ds.harvested": I18n("汇集自", "Harvested from"),
    "ds.origin": I18n("最初发布于", "First published by"),
    "ds.issued": I18n("首次发布", "First published"),
    "ds.key": I18n("主键字段", "Key field"),
    "ds.license": I18n("许可", "Licence"),
    "ds.contact": I18n("联系", "Contact"),
    "ds.regions": I18n("服务区域", "Regions served"),
    "ds.titles": I18n("名称", "Titles"),
    "ds.about": I18n("概况", "Overview"),
    "ds.breadcrumb": I18n("位置", "Breadcrumb"),
    "ds.sharing": I18n("共享与分级", "Sharing and level"),
    "ds.fields": I18n("字段", "Fields"),
    "ds.fields.caption": I18n(
        "{title}的字段：名称、类型、说明、分级和敏感类别",
        "Fields of {title}: name, type, description, level and sensitivity",
    ),
    "ds.field.name": I18n("字段名", "Field"),
    "ds.field.type": I18n("类型", "Type"),
    "ds.field.description": I18n("说明", "Description"),
    "ds.field.level": I18n("分级", "Level"),
    "ds.field.sensitivity": I18n("敏感类别", "Sensitivity"),
    "ds.field.filters": I18n("可筛选", "Filter"),
    "ds.nodes": I18n("提供数据的节点与区域", "Nodes and the regions they serve"),
    "ds.nodes.intro": I18n(
        "网关把每个请求路由到持有该区域数据的节点；每个区域只由一个节点提供。",
        "The gateway routes each request to the node that holds the region's data; each region "
        "is served by exactly one node.",
    ),
    "ds.nodes.caption": I18n("提供{title}的节点", "Nodes serving {title}"),
    "ds.node": I18n("节点", "Node"),
    "ds.node.level": I18n("层级", "Level"),
    "ds.node.regions": I18n("服务区域", "Regions"),
    "ds.node.none": I18n(
        "没有节点提供这个数据集：它只列入目录，不提供数据。",
        "No node serves this dataset: it is listed in the catalogue, and never served.",
    ),
    "ds.node.highlight": I18n("服务{region}", "serves {region}"),
    "ds.access": I18n("如何获取", "How to get access"),
    "ds.access.share": I18n("共享类型", "Share type"),
    "ds.access.tier": I18n("最低可用等级", "Lowest tier admitted"),
    "ds.level.tiers": I18n("可读取的使用等级：{tiers}。", "Tiers that may read it: {tiers}."),
    "ds.access.tier.none": I18n("没有等级可以读取它", "No tier may read it"),
    "ds.access.grant": I18n("是否需要授权", "Grant needed"),
    "ds.access.grant.yes": I18n(
        "需要：须持有本客户端、本数据集、本用途的有效授权",
        "Yes: an active grant for your client, this dataset and the purpose",
    ),
    "ds.access.grant.no": I18n("不需要", "No"),
    "ds.access.scope": I18n("所需权限范围", "Scope needed"),
    "ds.access.purposes": I18n("用途", "Purposes"),
    "ds.access.purposes.any": I18n(
        "每个请求须在 X-Purpose 请求头中声明用途目录中的一个用途，并记入审计记录：",
        "Every request states one purpose of the vocabulary in the X-Purpose header; it is "
        "recorded in the audit trail:",
    ),
    "ds.access.purposes.grant": I18n(
        "授权按用途签发：每项授权只对一个用途有效。用途目录：",
        "A grant is issued for one purpose and is valid for that purpose only. The purposes:",
    ),
    "ds.access.steps": I18n("申请步骤", "Steps"),
    "ds.access.step.register": I18n(
        "向网关管理员登记客户端，获得客户端标识和密钥，以及相应的使用等级。",
        "Have the gateway administrator register your client: you get a client id, a secret and "
        "a tier.",
    ),
    "ds.access.step.grant": I18n(
        "向数据提供部门的归口管理部门申请授权：写明客户端、数据集、用途、所需字段和区域及法律依据。",
        "Apply to the provider's sharing office for a grant: name the client, the dataset, the "
        "purpose, the fields and regions you need and the legal basis.",
    ),
    "ds.access.step.token": I18n(
        "用客户端凭证在 /oauth/token 换取访问令牌（client_credentials）。",
        "Exchange your client credentials for an access token at /oauth/token "
        "(client_credentials).",
    ),
    "ds.access.step.request": I18n(
        "携带令牌和用途调用数据接口，如下例所示。",
        "Call the data API with the token and a purpose, as in the example below.",
    ),
    "ds.plan": I18n("各等级看到的字段", "What each tier sees"),
    "ds.plan.intro": I18n(
        "未经授权列出时，个人信息字段按等级的遮蔽方式处理；高于等级的字段不提供。",
        "Personal fields that no grant names are masked by the tier's profile; fields above the "
        "tier's level are not delivered.",
    ),
    "ds.plan.rest": I18n(
        "其余字段对所有可用等级都以明文提供：",
        "Every other field reaches every admitted tier in clear:",
    ),
    "ds.plan.caption": I18n(
        "各使用等级看到的{title}字段", "Fields of {title} as each tier sees them"
    ),
    "ds.preview": I18n("数据预览", "Data preview"),
    "ds.preview.intro": I18n(
        "目录条目中的合成示例记录，按{tier}等级（未登录的读者）实际收到的样子显示：由网关的策略"
        "决定，并以同一套脱敏代码处理。",
        "Synthetic example records from the catalogue entry, shown as the {tier} tier (a reader "
        "who is not signed in) would receive them: decided by the gateway's policies and masked "
        "by the same masking code.",
    ),
    "ds.preview.none": I18n("没有可显示的预览：", "No preview for the {tier} tier:"),
    "ds.preview.caption": I18n(
        "{title}的示例记录（{tier}等级所见）",
        "Example records of {title} as the {tier} tier sees them",
    ),
    "ds.preview.grant": I18n(
        "有条件共享的数据集只向持有本数据集、本用途有效授权的客户端提供。",
        "A conditionally shared dataset is served only to clients holding an active grant for "
        "it and the purpose.",
    ),
    "ds.preview.field": I18n("字段", "Field"),
    "ds.preview.record": I18n("示例 {n}", "Example {n}"),
    "ds.preview.dropped": I18n("该等级收不到的字段：", "Fields this tier does not receive:"),
    "ds.preview.audit": I18n(
        "预览不调用任何节点，不显示节点持有的记录，因此不是数据交换，不记入审计记录。",
        "A preview calls no node and shows no record a node holds, so it is not an exchange and "
        "is not audited.",
    ),
    "ds.sample": I18n("请求示例", "Sample request"),
    "ds.sample.intro": I18n(
        "把 CLIENT_ID 和 CLIENT_SECRET 换成你的客户端凭证。",
        "Replace CLIENT_ID and CLIENT_SECRET with your client's credentials.",
    ),
    "ds.sample.token": I18n("1. 换取访问令牌", "1. Get an access token"),
    "ds.sample.key": I18n(
        "2. 按主键查询一条记录（示例主键 {key}，不一定有对应记录）",
        "2. Look up one record by its key (an example key {key}; it may match no record)",
    ),
    "ds.sample.query": I18n("3. 按条件查询记录", "3. Query records with a filter"),
    "ds.json": I18n("以机器可读格式获取", "Machine-readable"),
    "ds.json.entry": I18n(
        "目录条目（含字段、节点和区域）", "Catalogue entry (fields, nodes, regions)"
    ),
    "ds.json.records": I18n("记录接口（需令牌）", "Records endpoint (token required)"),
    "ds.json.dcat": I18n("整个目录的 DCAT-AP 导出", "DCAT-AP export of the whole catalogue"),
    "ds.json.rdf": I18n(
        "本数据集的 DCAT-AP 描述（Turtle）",
        "DCAT-AP description of this dataset (Turtle)",
    ),
    "ds.json.openapi": I18n(
        "本数据集的 OpenAPI 描述（可生成类型化客户端）",
        "This dataset's OpenAPI description (for a typed client)",
    ),
    "ds.json.docs": I18n("本数据集的 API 参考", "This dataset's API reference"),
    "ds.back": I18n("返回数据目录", "Back to the catalogue"),
    # regions
    "regions.heading": I18n("按区域浏览", "Browse by region"),
    "regions.intro": I18n(
        "京津冀三地的行政区划（GB/T 2260），以及每个区域可获取的数据集。",
        "The administrative divisions of Beijing, Tianjin and Hebei (GB/T 2260) and the datasets "
        "served in each.",
    ),
    "regions.datasets": I18n("{count} 个数据集", "{count} datasets"),
    "regions.datasets.one": I18n("1 个数据集", "1 dataset"),
    "regions.nonstandard": I18n("非国标区划", "Non-standard"),
    "regions.nonstandard.note": I18n(
        "没有 GB/T 2260 代码：本项目自定义的区域组合，包括{members}。",
        "No GB/T 2260 code: a project-local grouping of {members}.",
    ),
    "regions.grouping.note": I18n(
        "本项目自定义的区域组合，不是 GB/T 2260 区划，包括：{members}。",
        "A project-local grouping, not a GB/T 2260 division, of: {members}.",
    ),
    "regions.code": I18n("区划代码", "Division code"),
    "regions.children": I18n("下级区域", "Divisions"),
    "regions.served": I18n("在{region}可获取的数据集", "Datasets served in {region}"),
    "regions.served.none": I18n(
        "目前没有节点在此区域提供数据集。",
        "No node serves a dataset here yet.",
    ),
    "regions.served.by": I18n("由{nodes}提供", "served by {nodes}"),
    "regions.served.listed": I18n("仅列目，不提供数据", "listed, not served"),
    "regions.served.more": I18n(
        "以上是前 {shown} 个，共 {total} 个。在数据目录中查看全部",
        "The first {shown} of {total}. See them all in the catalogue",
    ),
    "regions.search": I18n("在数据目录中按{region}筛选", "Filter the catalogue by {region}"),
    "regions.all": I18n("全部区域", "All regions"),
    # errors
    "error.404.title": I18n("找不到这个页面", "Page not found"),
    "error.404.text": I18n(
        "地址可能有误，或者数据集已从目录中移除。",
        "The address may be mistyped, or the dataset may have left the catalogue.",
    ),
    "error.dataset.title": I18n("目录中没有这个数据集", "No such dataset in the catalogue"),
    "error.dataset.text": I18n(
        "目录中没有标识为 “{id}” 的数据集。",
        "The catalogue holds no dataset with the identifier “{id}”.",
    ),
    "error.405.title": I18n("不支持这种请求", "Method not allowed"),
    "error.405.text": I18n("这个页面只能浏览。", "This page can only be viewed."),
    "error.500.title": I18n("出了点问题", "Something went wrong"),
    "error.500.text": I18n(
        "网关处理这个页面时出错，请稍后再试。",
        "The gateway could not show this page. Please try again later.",
    ),
    "error.other.title": I18n("无法显示这个页面", "This page cannot be shown"),
    "error.other.text": I18n("请求无法完成。", "The request could not be completed."),
    "error.home": I18n("返回数据目录首页", "Go to the catalogue home page"),
    # The API reference (/docs): its own chrome; the operations' texts are the OpenAPI
    # description's, in English.
    "docs.heading": I18n("API 参考", "API reference"),
    "docs.contents": I18n("目录", "Contents"),
    "docs.overview": I18n("概览", "Overview"),
    "docs.authentication": I18n("认证", "Authentication"),
    "docs.auth.text": I18n(
        "OAuth 2.0 客户端凭证模式：向 {token_url} 申请访问令牌，并以 "
        "Authorization: Bearer <令牌> 发送。每个接口注明所需的权限范围；标为“公开”的接口无需令牌。",
        "OAuth 2.0 client credentials: get a token from {token_url} and send it as "
        "Authorization: Bearer <token>. Each operation states the scope it needs; operations "
        "marked public need no token.",
    ),
    "docs.scopes": I18n("权限范围", "Scopes"),
    "docs.scope": I18n("权限范围", "Scope"),
    "docs.grants": I18n("允许", "Grants"),
    "docs.server": I18n("服务地址", "Server"),
    "docs.description": I18n("描述文件", "Description"),
    "docs.operations": I18n("接口", "Operations"),
    "docs.operations.count": I18n("{count} 个接口", "{count} operations"),
    "docs.operations.count.one": I18n("1 个接口", "1 operation"),
    "docs.tag.page": I18n("{tag}：全部接口与数据结构", "{tag}: every operation and schema"),
    "docs.english": I18n(
        "接口说明取自 OpenAPI 描述文件，为英文。",
        "The operations' texts are those of the OpenAPI description.",
    ),
    "docs.datasets": I18n("数据集", "Datasets"),
    "docs.datasets.text": I18n(
        "每个数据集的类型化接口（可用的筛选参数、查询体、按主键查找）及其记录结构，另有独立的 "
        "OpenAPI 描述文件和参考页，客户端生成器可据此生成该数据集的类型化客户端。",
        "Each dataset's typed operations (its filters, its query body, its key lookup) and "
        "the schema of its records are in an OpenAPI document and a reference page of its own, "
        "from which a client generator makes a typed client for that dataset.",
    ),
    "docs.datasets.count": I18n("共 {count} 个数据集", "{count} datasets"),
    "docs.datasets.count.one": I18n("共 1 个数据集", "1 dataset"),
    "docs.datasets.all": I18n("按类目浏览全部数据集", "All datasets by category"),
    "docs.datasets.domains": I18n("各领域的数据集", "Datasets by domain"),
    "docs.dataset.category": I18n("类目", "Category"),
    "docs.datasets.list": I18n("数据集列表", "List of datasets"),
    "docs.dataset.document": I18n("OpenAPI 描述文件", "OpenAPI document"),
    "docs.dataset.entry": I18n("目录中的条目", "Catalogue entry"),
    "docs.dataset.unserved": I18n(
        "不予共享：网关不提供其记录，因此没有接口；记录结构仅供参考。",
        "Not shared: the gateway never serves its records, so it has no operations; its "
        "record schema is shown for reference.",
    ),
    "docs.schemas": I18n("数据结构", "Schemas"),
    "docs.schemas.note": I18n(
        "本页接口用到的数据结构。",
        "The schemas the operations of this page use.",
    ),
    "docs.parameters": I18n("{operation} 的参数", "Parameters of {operation}"),
    "docs.responses": I18n("{operation} 的响应", "Responses of {operation}"),
    "docs.properties": I18n("{schema} 的属性", "Properties of {schema}"),
    "docs.col.name": I18n("名称", "Name"),
    "docs.col.in": I18n("位置", "In"),
    "docs.col.type": I18n("类型", "Type"),
    "docs.col.description": I18n("说明", "Description"),
    "docs.col.status": I18n("状态码", "Status"),
    "docs.col.media": I18n("媒体类型", "Media type"),
    "docs.col.body": I18n("内容", "Body"),
    "docs.col.property": I18n("属性", "Property"),
    "docs.required": I18n("必填", "required"),
    "docs.public": I18n("公开", "public"),
    "docs.client_auth": I18n("客户端认证", "client authentication"),
    "docs.body": I18n("请求体", "Request body"),
}

THEMES: Mapping[str, I18n] = {
    "economy": I18n("经济", "Economy"),
    "enterprise": I18n("企业", "Enterprise"),
    "credit": I18n("信用", "Credit"),
    "environment": I18n("生态环境", "Environment"),
    "government": I18n("政务", "Government"),
    "health": I18n("医疗卫生", "Health"),
    "public-service": I18n("公共服务", "Public service"),
    "science": I18n("科技", "Science and technology"),
    "housing": I18n("住房", "Housing"),
    "natural-resources": I18n("自然资源", "Natural resources"),
    "social-security": I18n("社会保障", "Social security"),
    "employment": I18n("就业", "Employment"),
    "education": I18n("教育", "Education"),
    "transport": I18n("交通", "Transport"),
}

SHARE_TYPE_LABELS: Mapping[str, I18n] = {
    "unconditional": I18n("无条件共享", "Unconditional sharing"),
    "conditional": I18n("有条件共享", "Conditional sharing"),
    "none": I18n("不予共享", "Not shared"),
}

SHARE_TYPE_TEXTS: Mapping[str, I18n] = {
    "unconditional": I18n(
        "任何登记的客户端都可以使用，只要数据分级不超过它的使用等级；不需要逐项授权。",
        "Any registered client may use it, as long as the data level is within its tier; no "
        "grant is needed.",
    ),
    "conditional": I18n(
        "只有持有有效授权的客户端才能使用：授权针对客户端、数据集和一个用途，可以限定字段和区域。",
        "Only clients holding an active grant may use it: a grant names the client, the dataset "
        "and one purpose, and may limit the fields and regions.",
    ),
    "none": I18n(
        "不予共享：只列入目录，以便了解它的存在和负责部门；网关从不提供其记录。",
        "Not shared: listed so that its existence and custodian can be found; the gateway never "
        "serves its records.",
    ),
}

LEVELS: Mapping[int, I18n] = {
    1: I18n("公开", "Public"),
    2: I18n("内部", "Internal"),
    3: I18n("敏感", "Sensitive"),
    4: I18n("核心", "Core"),
}

LEVEL_TEXTS: Mapping[int, I18n] = {
    1: I18n("可以向社会公开的数据。", "Data that may be made public."),
    2: I18n(
        "限于政务部门和协议合作单位使用的数据。",
        "Data for use by government bodies and partner organisations under agreement.",
    ),
    3: I18n(
        "含个人信息或其他敏感信息的数据，泄露会损害个人或单位的权益。",
        "Data holding personal or otherwise sensitive information whose disclosure would harm "
        "people or organisations.",
    ),
    4: I18n(
        "核心数据，使用限制最严格的一级。",
        "Core data: the most restricted level.",
    ),
}

FREQUENCIES: Mapping[str, I18n] = {
    "continuous": I18n("实时", "Continuous"),
    "hourly": I18n("每小时", "Hourly"),
    "daily": I18n("每日", "Daily"),
    "weekly": I18n("每周", "Weekly"),
    "monthly": I18n("每月", "Monthly"),
    "quarterly": I18n("每季度", "Quarterly"),
    "semiannual": I18n("每半年", "Every six months"),
    "annual": I18n("每年", "Annual"),
    "irregular": I18n("不定期", "Irregular"),
}

SENSITIVITIES: Mapping[str, I18n] = {
    "person-name": I18n("姓名", "Person name"),
    "resident-id": I18n("身份证号", "Resident ID"),
    "phone": I18n("电话", "Phone"),
    "address": I18n("地址", "Address"),
    "birth-date": I18n("出生日期", "Birth date"),
    "bank-account": I18n("银行账号", "Bank account"),
    "free-text": I18n("自由文本", "Free text"),
}

FIELD_TYPES: Mapping[str, I18n] = {
    "string": I18n("文本", "text"),
    "number": I18n("数值", "number"),
    "integer": I18n("整数", "integer"),
    "boolean": I18n("是/否", "yes/no"),
    "array": I18n("列表", "list"),
    "object": I18n("对象", "object"),
    "null": I18n("空", "null"),
}

#: How a field reaches a tier (policies' field plan): clear, a masking method, or dropped.
TREATMENTS: Mapping[str, I18n] = {
    "clear": I18n("明文", "in clear"),
    "partial": I18n("部分遮蔽", "partly masked"),
    "hmac": I18n("假名", "pseudonym"),
    "generalise": I18n("概括", "generalised"),
    "redact": I18n("置空", "redacted"),
    "dropped": I18n("不提供", "not delivered"),
}

NODE_LEVELS: Mapping[str, I18n] = {
    "province": I18n("省级", "Provincial"),
    "city": I18n("市级", "City"),
    "district": I18n("区级", "District"),
    "county": I18n("县级", "County"),
    "grouping": I18n("区域组合", "Grouping"),
}
