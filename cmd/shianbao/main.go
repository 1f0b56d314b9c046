// Command shianbao is the food-safety package-supervision service (食安包保).
//
// Usage:
//
//	shianbao [serve] [-config FILE]      run the service (the default)
//	shianbao migrate [-config FILE]      apply database migrations
//	shianbao media migrate --to s3       copy local photos to the S3 bucket, verifying each
//	shianbao seed [--scale N] [--seed S] generate the demo district or a city-scale register
//	shianbao import KIND FILE [--dry-run]
//	shianbao export KIND [--format csv|xlsx] [-o FILE]
//	shianbao bind-code cadre|manager|contact|business ID [--qr]
//	shianbao user add|passwd --username U   console users (passwd prompts for the new password)
//	shianbao menu [-f FILE] [--check]   push the Official Account menu
//	shianbao load [-rate N] [-mode plain|safe] [-bare] load-test the callback
//	shianbao fakewx [-addr 127.0.0.1:8081]  the fake WeChat API alone, shared by instances
//	shianbao config                      print the effective configuration, secrets masked
//	shianbao version
//
// With no configuration it runs the embedded default: SQLite under ./data,
// in-process key-value store, demo data and the local WeChat simulator.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/errs"
)

// exitUsage is the exit status for a wrong command line, as flag uses.
const exitUsage = 2

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, lookup: os.LookupEnv}))
}

// env is what a command may touch, so tests run commands in-process.
type env struct {
	// stdin is nil when a command has no input (tests).
	stdin          io.Reader
	stdout, stderr io.Writer
	lookup         func(string) (string, bool)
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, e env) error
}

var commands []command

func init() {
	commands = []command{
		{"serve", "运行服务（默认）/ run the service (default)", runServe},
		{"migrate", "执行数据库迁移 / apply database migrations", runMigrate},
		{"media", "照片存储：media migrate --to s3 把本地照片复制到存储桶并逐个核验 / copy local photos to the S3 bucket, verifying each", runMedia},
		{"seed", "生成演示数据或城市规模数据 / generate demo or city-scale data", runSeed},
		{"import", "导入登记表 / import businesses|cadres|assignments from CSV or XLSX", runImport},
		{"export", "导出登记表 / export businesses|cadres|assignments as CSV or XLSX", runExport},
		{"review", "抽查复核：review draw [--cycle 2026Q4] 抽取本周期样本；review recompute 重新计算全部异常提示 / draw the re-check sample; recompute flags", runReview},
		{"remind", "计划提醒（--dry-run 只打印不发送）/ plan reminders; --dry-run prints them as JSON lines", runRemind},
		{"bind-code", "发放绑定码 / issue a binding code: cadre|manager|contact|business ID", runBindCode},
		{"user", "管理后台用户 / console users: user add --username U --role R --region 胡埭镇; user passwd --username U", runUser},
		{"notifications", "推送状态（谁收不到、为什么）/ who cannot be reached and why; --retry ID", runNotifications},
		{"menu", "推送公众号菜单 / push configs/menu.json to the Official Account", runMenu},
		{"load", "压测回调（签名消息）/ load-test the callback with signed messages", runLoad},
		{"fakewx", "单独运行模拟微信接口（故障演练）/ run the fake WeChat API alone: -addr 127.0.0.1:8081", runFakeWX},
		{"config", "打印生效配置（隐藏密钥）/ print the effective configuration, secrets masked", runConfig},
		{"version", "版本信息 / print the version", runVersion},
	}
}

// usageError marks a wrong command line: usage is printed and the exit status is 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func run(ctx context.Context, args []string, e env) int {
	name := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if name == "help" || (len(args) > 0 && (args[0] == "-h" || args[0] == "--help") && name == "serve" && len(args) == 1) {
		usage(e.stderr)
		return 0
	}
	for _, c := range commands {
		if c.name != name {
			continue
		}
		err := c.run(ctx, args, e)
		var ue usageError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ue):
			fmt.Fprintf(e.stderr, "shianbao %s: %s\n\n", name, ue.msg)
			usage(e.stderr)
			return exitUsage
		default:
			var ve *config.ValidationError
			if errors.As(err, &ve) {
				fmt.Fprintln(e.stderr, ve.Error())
				return 1
			}
			fmt.Fprintf(e.stderr, "shianbao %s: %v\n", name, err)
			for _, f := range errs.FieldsOf(err) {
				fmt.Fprintf(e.stderr, "  %s: %s\n", f.Field, f.Reason)
			}
			return 1
		}
	}
	fmt.Fprintf(e.stderr, "shianbao: unknown command %q\n\n", name)
	usage(e.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "食安包保 shianbao — food-safety package supervision in WeChat")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: shianbao [command] [flags]")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every command takes -config FILE (default configs/shianbao.yaml, embedded if absent);")
	fmt.Fprintln(w, "SHIANBAO_* environment variables override the file. `shianbao COMMAND -h` lists a command's flags.")
}
