package nn

import "math"

// poisonUnkept fills, after the forward pass, every buffer that holds no
// kept value with NaN, so a backward that reads a value it did not ask to
// keep produces NaN gradients. Tests set it as a model's or plan's
// afterForward.
func (p *plan) poisonUnkept() {
	live := map[*float32]bool{}
	for _, sl := range p.slots {
		if sl.val != nil && len(sl.val.Data) > 0 && (sl.keep || sl.output || sl.producer < 0) {
			live[&sl.val.Data[0]] = true
		}
	}
	nan := float32(math.NaN())
	for _, sl := range p.slots {
		if sl.val != nil && len(sl.val.Data) > 0 && !live[&sl.val.Data[0]] {
			for i := range sl.val.Data {
				sl.val.Data[i] = nan
			}
		}
	}
}
