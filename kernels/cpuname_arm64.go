//go:build arm64 && !purego

package kernels

import (
	"fmt"

	"github.com/klauspost/cpuid/v2"
)

// armCPUName names the core from MIDR_EL1 (arm64 has no brand string): Arm's
// own cores by name, others by implementer and part number; "" when the
// kernel does not expose the register.
func armCPUName() string {
	if cpuid.CPU.VendorString == "" {
		return ""
	}
	part := cpuid.CPU.Model >> 4 // MIDR bits 15:4; bits 3:0 are the revision
	if cpuid.CPU.VendorID == cpuid.ARM {
		if name, ok := armParts[part]; ok {
			return "Arm " + name
		}
	}
	return fmt.Sprintf("%s part %#x", cpuid.CPU.VendorString, part)
}

// armParts are the MIDR part numbers of Arm's cores found in boards and
// servers Keel targets.
var armParts = map[int]string{
	0xd03: "Cortex-A53", 0xd04: "Cortex-A35", 0xd05: "Cortex-A55", 0xd07: "Cortex-A57",
	0xd08: "Cortex-A72", 0xd09: "Cortex-A73", 0xd0a: "Cortex-A75", 0xd0b: "Cortex-A76",
	0xd0c: "Neoverse N1", 0xd0d: "Cortex-A77", 0xd40: "Neoverse V1", 0xd41: "Cortex-A78",
	0xd44: "Cortex-X1", 0xd46: "Cortex-A510", 0xd47: "Cortex-A710", 0xd49: "Neoverse N2",
	0xd4f: "Neoverse V2", 0xd80: "Cortex-A520", 0xd81: "Cortex-A720",
}
