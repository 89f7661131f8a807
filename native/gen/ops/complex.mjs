// Complex helpers. The elementwise complex ops (real, imag, conj, abs, angle, sgn)
// are in pointwise.mjs, complex()/polar() in creation.mjs, viewAsReal/viewAsComplex
// in shape.mjs; matmul and friends accept complex64/complex128 (autograd included).
export default [
  ['conjPhysical', 'T self', 'T', 'at::conj_physical(self)'],
  ['resolveConj', 'T self', 'T', 'self.resolve_conj()'],
  ['resolveNeg', 'T self', 'T', 'self.resolve_neg()'],
  ['isConj', 'T self', 'b', 'self.is_conj()'],
];
