package nn

import (
	"fmt"
	"sort"
)

// appKey identifies one layer application: the node, or the nested model
// call that several output nodes share.
func appKey(n *Node) any {
	if n.call != nil {
		return n.call
	}
	return n
}

func appInputs(n *Node) []*Node {
	if n.call != nil {
		return n.call.inputs
	}
	return n.inputs
}

// mapGraph orders the layers as Keras 2.3.1's _map_graph_network does:
// depth from the outputs, deepest first, ties in the order a depth-first
// walk from the outputs first meets the layers.
func (m *Model) mapGraph() error {
	isInput := map[*Node]bool{}
	for _, in := range m.inputs {
		isInput[in] = true
	}
	layerIndex := map[Layer]int{}
	finished := map[any]bool{}
	inProgress := map[any]bool{}
	var decreasing []*Node // one representative node per application, producers before consumers
	var visit func(n *Node) error
	visit = func(n *Node) error {
		key := appKey(n)
		if inProgress[key] {
			return fmt.Errorf("nn: the graph has a cycle through layer %q", n.layer.Name())
		}
		if finished[key] {
			return nil
		}
		if _, ok := layerIndex[n.layer]; !ok {
			layerIndex[n.layer] = len(layerIndex)
		}
		if _, ok := n.layer.(*InputLayer); ok && !isInput[n] {
			return fmt.Errorf("nn: graph disconnected: input %q is not an input of the model", n.layer.Name())
		}
		inProgress[key] = true
		for _, in := range appInputs(n) {
			if err := visit(in); err != nil {
				return err
			}
		}
		delete(inProgress, key)
		finished[key] = true
		decreasing = append(decreasing, n)
		return nil
	}
	for _, out := range m.outputs {
		if err := visit(out); err != nil {
			return err
		}
	}
	rep := map[any]*Node{}
	for _, n := range decreasing {
		rep[appKey(n)] = n
	}
	nodeDepth := map[any]int{}
	layerDepth := map[Layer]int{}
	for i := len(decreasing) - 1; i >= 0; i-- {
		n := decreasing[i]
		key := appKey(n)
		d := max(nodeDepth[key], layerDepth[n.layer])
		layerDepth[n.layer], nodeDepth[key] = d, d
		for _, in := range appInputs(n) {
			k := appKey(in)
			nodeDepth[k] = max(nodeDepth[k], d+1)
		}
	}
	m.layers = m.layers[:0]
	for l := range layerDepth {
		m.layers = append(m.layers, l)
	}
	sort.Slice(m.layers, func(i, j int) bool {
		a, b := m.layers[i], m.layers[j]
		if layerDepth[a] != layerDepth[b] {
			return layerDepth[a] > layerDepth[b]
		}
		return layerIndex[a] < layerIndex[b]
	})
	pos := map[any]int{}
	for i, n := range decreasing {
		pos[appKey(n)] = i
	}
	m.order = m.order[:0]
	for _, n := range decreasing {
		if !isInput[n] {
			m.order = append(m.order, n)
		}
	}
	sort.SliceStable(m.order, func(i, j int) bool {
		a, b := appKey(m.order[i]), appKey(m.order[j])
		if nodeDepth[a] != nodeDepth[b] {
			return nodeDepth[a] > nodeDepth[b]
		}
		return pos[a] < pos[b]
	})
	seen := map[string]Layer{}
	for _, l := range m.layers {
		if o, ok := seen[l.Name()]; ok && o != l {
			return fmt.Errorf("nn: two layers named %q in model %q", l.Name(), m.name)
		}
		seen[l.Name()] = l
	}
	return nil
}
