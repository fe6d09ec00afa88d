// Module asm holds Keel's Avo generator programs. It is a module of its own so
// that Avo never becomes a dependency of Keel's users; `make generate` runs the
// programs, which write the assembly and Go stubs into ../kernels.
package asm
