package dialog

import (
	"fmt"
	"strings"
)

// Every sentence the engine says lives here. Flows bring their own
// questions; these are the words around them.

const (
	defaultNoun = "填报"

	msgCancelled   = "已取消，本次内容未保存。"
	msgDiscarded   = "已放弃上次的%s。"
	msgResumeLabel = "继续上次「%s」的%s%s吗？回复 1 继续 / 2 放弃"
	msgResumePlain = "继续上次的%s%s吗？回复 1 继续 / 2 放弃"
	msgOfferLabel  = "继续「%s」的%s%s？回复 1 继续 / 2 重新开始"
	msgOfferPlain  = "继续上次的%s%s？回复 1 继续 / 2 重新开始"
	msgContinue    = "继续"
	msgGiveUp      = "放弃"
	msgRestart     = "重新开始"
	// msgDoneOutside answers the first message after a report was
	// submitted on its H5 page, before that submit's receipt.
	msgDoneOutside = "这份%s已在网页上提交，无需在聊天中继续。如需其他操作，请重新发送。"
	// msgDoneOutsideNote comes before the answer to a command sent then.
	msgDoneOutsideNote = "（刚才的%s已在网页上提交。）"
	msgResumed         = "好的，接着上次的%s继续。"
	// msgBackToFlow follows the answer to an interruption, before the
	// question the user was on; msgRule before the resume question.
	msgBackToFlow = "\n\n——\n继续上报：\n"
	msgRule       = "\n\n——\n"

	msgStuck         = "看起来遇到了困难：回复“帮助”查看说明，或回复“取消”放弃本次填报。"
	msgStuckPark     = "看起来遇到了困难：回复“帮助”查看说明；回复“暂存”先放一放，内容会保留；或回复“取消”放弃本次%s。"
	msgParkedStuck   = "试了几次都没有成功，先帮您暂存起来。"
	msgNothingToPark = "还没有填写内容，无需暂存。"
	msgParkedLine    = "已暂存「%s」的%s%s，回复“%s”可以继续。"
	msgParkedPlain   = "已暂存本次%s%s，回复“%s”可以继续。"
	msgParkedAny     = "已暂存本次%s%s。"

	msgSwitch         = "是要切换到「%s」吗？回复 1 是 / 2 %s"
	msgSwitchHead     = "是要切换到「%s」吗？"
	msgSwitchStay     = "否，继续%s"
	msgSwitchIsAnswer = "否，这就是%s"
	msgTitleAnswer    = "我的回答"
	msgStaying        = "好的，继续。"
	msgYesNoOptions   = "（回复 1 是 / 2 否）"
	msgWentBack       = "已回到上一步。"
	msgAtFirst        = "已经是第一步了。"
	msgCannotSkip     = "这一步不能跳过。"

	msgSkippable   = "（可回复“跳过”）"
	msgCurrent     = "（当前：%s。不修改请回复“不变”）"
	msgPhotosSoFar = "（已收到%d张照片，继续发送或回复“完成”）"
	msgSkipped     = "已跳过"
	msgYes         = "是"
	msgNo          = "否"
	msgNPhotos     = "%d张照片"

	msgWantChoice     = "请回复选项前的编号（1～%d），或直接回复选项名称。"
	msgNoChoices      = "暂时没有可选的选项，请回复“取消”。"
	msgWantNumber     = "请回复一个数字，例如：3。"
	msgWantDate       = "请回复日期，例如：2026-12-05、12月5日、明天、7天后。"
	msgWantYesNo      = "请回复“是”或“否”（也可以回复 1 或 2）。"
	msgWantText       = "这一步请用文字回复。"
	msgTextEmpty      = "内容不能为空，请用文字回复。"
	msgTextTooLong    = "内容太长了（%d字），请控制在%d字以内。"
	msgWantLocation   = "请点击输入框旁的＋，选择“位置”发送当前位置。"
	msgWantPhoto      = "请发送照片：点击输入框旁的＋，选择“拍摄”或“照片”。"
	msgWantMorePhotos = "请继续发送照片，发完后回复“完成”。"
	msgNeedPhoto      = "请至少发送一张照片。"
	msgPhotoAck       = "已收到第%d张照片，继续发送或回复“完成”。"
	msgTooManyPhotos  = "最多可以发送%d张照片，请回复“完成”继续。"
)

// kindHelp says what a step wants when it has no Help of its own.
func kindHelp(st *Step) string {
	switch st.Kind {
	case KindChoice:
		return "请回复选项前的编号，或直接回复选项名称。"
	case KindText:
		return fmt.Sprintf("请用文字回复，%d字以内。", maxTextLen)
	case KindNumber:
		return "请回复一个数字，例如：3。"
	case KindDate:
		return "请回复日期，例如：2026-12-05、12月5日、明天、7天后、下周五。"
	case KindYesNo:
		return "请回复“是”或“否”。"
	case KindLocation:
		return "请发送您当前的位置：点击输入框旁的＋，选择“位置”，确认后发送。"
	case KindPhoto:
		if st.Multi {
			return fmt.Sprintf("请发送照片：点击输入框旁的＋，选择“拍摄”或“照片”。可以发送多张（最多%d张），发完后回复“完成”。", maxPhotos)
		}
		return "请发送一张照片：点击输入框旁的＋，选择“拍摄”或“照片”。"
	}
	return ""
}

// commandsHelp lists the commands open on a step; command is the flow's
// own (暂存 is offered when there is one to continue with).
func commandsHelp(back, skippable, answered bool, command string) string {
	var b strings.Builder
	b.WriteString("随时可以回复：")
	if back {
		b.WriteString("\n· 返回 — 回到上一步")
	}
	if skippable {
		b.WriteString("\n· 跳过 — 跳过这一步")
	}
	if answered {
		b.WriteString("\n· 不变 — 保留当前的答案")
	}
	if command != "" {
		b.WriteString("\n· 暂存 — 先放一放，稍后回复“" + command + "”继续")
	}
	b.WriteString("\n· 取消 — 放弃本次填报，内容不保存")
	return b.String()
}

func noun(f *Flow) string {
	if f.Noun == "" {
		return defaultNoun
	}
	return f.Noun
}

// resumeAsk asks whether to continue a draft: after it lapsed
// 继续上次「店名」的督导（第2/4项）吗？1 继续 / 2 放弃, offered by the
// flow's command 继续「店名」的督导（第2/4项）？1 继续 / 2 重新开始.
func resumeAsk(f *Flow, label, where string, offered bool) question {
	if where != "" {
		where = "（" + where + "）"
	}
	var text, head string
	no := msgGiveUp
	switch {
	case offered && label != "":
		text = fmt.Sprintf(msgOfferLabel, label, noun(f), where)
		no = msgRestart
	case offered:
		text = fmt.Sprintf(msgOfferPlain, noun(f), where)
		no = msgRestart
	case label != "":
		text = fmt.Sprintf(msgResumeLabel, label, noun(f), where)
	default:
		text = fmt.Sprintf(msgResumePlain, noun(f), where)
	}
	head, _, _ = strings.Cut(text, "回复")
	return question{text: text, menu: newMenu(head, "", []string{msgContinue, no})}
}

// parkedLine says a conversation was put aside and how to continue it.
func parkedLine(f *Flow, label, where string) string {
	if where != "" {
		where = "（" + where + "）"
	}
	switch {
	case f.Command == "":
		return fmt.Sprintf(msgParkedAny, noun(f), where)
	case label == "":
		return fmt.Sprintf(msgParkedPlain, noun(f), where, f.Command)
	}
	return fmt.Sprintf(msgParkedLine, label, noun(f), where, f.Command)
}
