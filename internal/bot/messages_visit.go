package bot

import "github.com/shianbao/shianbao/internal/supervision"

// Sentences of the visit report and the cadre's lists.

const (
	msgPickBusiness        = "请选择要上报督导的主体（回复序号，或输入店名、信用代码的一部分）："
	msgPickBusinessNoTasks = "本周期的包保任务都已完成督导。如需再次上报，请输入店名或信用代码的一部分。"
	msgMoreTasks           = "\n……另有%d家，可输入店名查找"
	msgNoSuchNumber        = "没有这个序号，请回复 1 到 %d 之间的数字，或输入店名。"
	msgNameTooShort        = "请输入至少两个字的店名，或列表中的序号。"
	msgManyMatches         = "找到多家，请输入更完整的名称："
	msgNoMatch             = "您包保的主体中没有找到“%s”，请检查名称，或回复序号。"
	msgHelpBusiness        = "回复列表里的序号，或输入店名、统一社会信用代码的一部分，也可以扫描门店的知晓卡二维码。"

	msgAskMode  = "「%s」本次督导方式："
	msgHelpMode = "现场督导需到店检查并发送位置；在线督导为视频或远程检查；集中督导为集中会议或培训。"

	msgAskCheck  = "选择检查内容："
	msgHelpCheck = "快速检查只查场所环境卫生、人员健康管理、采购验收贮存、清洗消毒4个关键点；全面检查按该业态的全部督导要点逐项检查。"

	msgAskItem  = "第%d/%d项：%s\n（回复“全部合格”将本项及以后各项记为合格）"
	msgHelpItem = "逐项回复检查结果：1 合格，2 有问题，3 不适用。有问题的项目稍后会请您描述问题、拍照并确定整改期限。"

	msgAskIssueDesc          = "「%s」存在什么问题？请简要描述。"
	msgHelpIssueDesc         = "用一两句话写明发现的问题，例如“后厨地面积水，防蝇帘缺失”。"
	msgAskIssuePhoto         = "请拍照发送问题照片（可多张），发完回复“完成”；没有照片回复“跳过”。"
	msgAskIssuePhotoExpected = "这一项需要留存照片：请拍照发送（可多张），发完回复“完成”；确实无法拍照请回复“跳过”。"
	msgHelpIssuePhoto        = "点输入框旁的＋，选择“拍摄”或“照片”发送；可以发多张，发完回复“完成”。"
	msgAskDeadline           = "整改期限？回复日期（如 12-05）或天数（如 7天）；回复“跳过”按默认%d天（%s）。"
	msgHelpDeadline          = "整改期限不能早于今天，最长90天。"
	msgDeadlinePast          = "整改期限不能早于今天。"
	msgDeadlineTooFar        = "整改期限最长90天，请重新输入。"

	msgAskLocation  = "请发送当前位置：点输入框旁的＋，选择“位置”，确认后发送。（无法定位请回复“跳过”）"
	msgHelpLocation = "位置用于核对是否在门店现场；距离登记地址较远时会标注，但不影响提交。"
	msgNear         = "定位：距登记地址约%s。\n"
	msgFar          = "⚠ 定位：距登记地址约%s，超出正常范围，将标注在记录中。\n"
	msgNoLocation   = "定位：未发送位置。\n"

	msgAskStatus      = "门店当前经营状态："
	msgHelpStatus     = "如门店名称、负责人等发生变化选“信息变更”；已搬到新地址选“搬迁”；暂停营业选“停产停业”。"
	msgHelpStatusNote = "写清楚变化的情况，食安办会据此更新登记信息。"

	msgAskContact     = "现场对接人姓名？（回复“跳过”不记录）"
	msgHelpContact    = "填写现场配合检查的店方人员姓名。"
	msgContactTooLong = "姓名太长了，请只写姓名。"

	msgSummaryHead = "请核对督导记录：\n主体：%s\n"
	msgSummaryTail = "\n回复“确认”提交；经营状态有变化回复“停业”“搬迁”或“变更”，记录对接人回复“对接人”；回复“返回”修改上一项；回复“取消”放弃。"
	msgHelpConfirm = "回复“确认”提交本次督导；需要修改请回复“返回”逐步退回。"
	msgConfirmNo   = "未提交。修改请回复“返回”，放弃请回复“取消”，确认无误请回复“确认”。"

	msgRequirement = "针对“%s”立即整改，并于%s前反馈整改情况。"

	msgReceiptHead       = "✅ 督导已提交：%s\n%s已完成督导。\n"
	msgReceiptNoFindings = "本次检查未发现问题。\n"
	msgReceiptFindings   = "发现问题%d项：\n"
	msgReceiptStatus     = "已登记经营状态变化：%s。\n"
	msgReceiptRelocation = "已向食安办提交变更包保关系的申请。\n"
	msgReceiptLink       = "督导回执：%s\n"
)

var statusNotePrompts = map[string]string{
	"changed":   "请说明变更内容（如新名称、新负责人）：",
	"relocated": "请说明搬迁情况（新地址、搬迁时间）：",
	"suspended": "请说明停产停业情况（原因、预计恢复时间）：",
}

// Sentences of the shorter report: one message, defaults not asked.
const (
	msgProgressItem     = "第%d/%d项"
	msgProgressIssue    = "问题描述"
	msgProgressPhoto    = "问题照片"
	msgProgressDeadline = "整改期限"
	msgTitleIssueDesc   = "问题描述"
	msgTitleStatusNote  = "情况说明"
	msgTitleContact     = "对接人姓名"
	msgOverdueCycle     = "%s未督导，已逾期；%s%s"
	msgSummaryNormal    = "经营状态：正常经营\n"
	msgSummaryExtra     = "本次为加报（%s已督导过）\n"

	msgAskAgain  = "「%s」%s已于%s督导过，仍要再报一次吗？回复 1 再报一次（记为加报）/ 2 不报了"
	msgHelpAgain = "每个周期至少督导一次；再次督导会记为加报，不影响已完成的督导。"
	msgNotAgain  = "好的，本次不再上报。"

	msgPickAmong   = "找到%d家名称含“%s”的主体，请回复序号或更完整的店名："
	msgHeard       = "听到：%s"
	msgQuickNoItem = "快速检查共%d项，没有第%d项；请逐项回复检查结果。"
)

var stepNames = map[string]string{
	sBusiness: "选择主体", sAgain: "确认加报", sMode: "督导方式", sCheck: "检查内容", sLocation: "发送位置",
	sStatus: "经营状态", sStatusNote: "情况说明", sContact: "对接人", sLetterAsk: "提示函", sConfirm: "核对提交",
}

// modeWords are the words that name a visit mode, in a choice or in a
// one-message report.
var modeWords = map[supervision.Mode][]string{
	supervision.ModeOnsite:      {"现场", "到店", "实地"},
	supervision.ModeOnline:      {"在线", "视频", "远程", "在线督导（视频/远程）"},
	supervision.ModeCentralized: {"集中", "会议", "培训", "集中督导（会议/培训）"},
}

// The visit form (H5).
const (
	msgFormLinkFirst    = "也可以在网页上一次填完全部检查项（可拍照、定位）：\n%s\n\n"
	msgFormOtherUnnamed = "未选定主体"
	msgFormBusy         = "系统繁忙，请稍后再试。"
	msgFullFormLink     = "「%s」全面检查表，在网页上一页填完（可拍照、定位，填到一半会自动保存）：\n%s\n\n也可以在聊天里逐项回答：回复“上报 %s”，再选“全面”。"
	msgPickFormHint     = "\n（全面检查也可在网页上填：回复“全面 序号”获取链接）"
	msgFullFormHow      = "回复“全面 + 序号”（如“全面 1”，序号见“我的任务”）或“全面 + 店名”，获取该主体全面检查表的网页链接。"
	msgFullFormMany     = "有多家主体符合“%s”，请回复“全面 + 完整店名”："
	msgFullFormOff      = "网页检查表暂未开通，请在聊天里逐项回答：回复“上报督导”。"
	msgFormConfirmTitle = "网页督导已提交：%s"
	msgFormConfirmHead  = "您在网页上填写的督导已收到。\n"
	msgFormGone         = "这份督导已在聊天中取消或重新开始，请刷新页面后重新填写。"
)
