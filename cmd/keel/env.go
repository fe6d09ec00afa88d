package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/keelml/keel/kernels"
)

func init() {
	register(command{name: "env", summary: "report the kernels chosen for this machine", flags: envFlags})
	register(command{name: "version", summary: "print keel's version, its Go version and the kernel table in use (also --version)", flags: versionFlags})
}

func envFlags(fs *flag.FlagSet) func([]string) error {
	return func([]string) error {
		fmt.Print(kernels.Describe())
		fmt.Printf("int8:      %s\nbf16:      %s\n", kernels.Int8Kernels(), kernels.BF16Kernels())
		return nil
	}
}

func versionFlags(fs *flag.FlagSet) func([]string) error {
	return func(args []string) error {
		if len(args) > 0 {
			return fmt.Errorf("%w: version takes no arguments", errUsage)
		}
		info, _ := debug.ReadBuildInfo()
		printVersion(os.Stdout, info)
		return nil
	}
}

// printVersion writes the module's version (a tagged release, or the
// pseudo-version and commit the Go tool stamped into the binary), the Go
// version that built it and the kernel table this machine runs.
func printVersion(w io.Writer, info *debug.BuildInfo) {
	version, goVersion := "(devel)", runtime.Version()
	var vcs []string
	if info != nil {
		if v := info.Main.Version; v != "" {
			version = v
		}
		goVersion = info.GoVersion
		settings := map[string]string{}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		if rev := settings["vcs.revision"]; rev != "" && !strings.Contains(version, rev[:min(12, len(rev))]) {
			vcs = append(vcs, "commit "+rev[:min(12, len(rev))])
		}
		if settings["vcs.modified"] == "true" && !strings.HasSuffix(version, "+dirty") {
			vcs = append(vcs, "modified")
		}
	}
	fmt.Fprint(w, "keel ", version)
	if len(vcs) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(vcs, ", "))
	}
	fmt.Fprintf(w, "\ngo %s %s/%s\nkernels %s\n", goVersion, runtime.GOOS, runtime.GOARCH, kernels.Describe().Table)
}
