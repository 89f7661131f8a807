// Random ops. Each takes an optional torch.Generator last (`gen? generator`, ATen's
// c10::optional<at::Generator>); null draws from the default generator seeded by
// torch.manualSeed. Same seed, same numbers as PyTorch on the same libtorch.
export default [
  ['rand', 'i[] size, dtype? dtype, device? device, gen? generator', 'T', 'at::rand(size, generator, opts(dtype, device))'],
  ['randn', 'i[] size, dtype? dtype, device? device, gen? generator', 'T', 'at::randn(size, generator, opts(dtype, device))'],
  ['randint', 'i low, i high, i[] size, dtype? dtype, device? device, gen? generator', 'T', 'at::randint(low, high, size, generator, opts(dtype ? dtype : c10::optional<at::ScalarType>(at::kLong), device))'],
  ['randperm', 'i n, dtype? dtype, device? device, gen? generator', 'T', 'at::randperm(n, generator, opts(dtype ? dtype : c10::optional<at::ScalarType>(at::kLong), device))'],
  ['bernoulli', 'T self, f? p, gen? generator', 'T', 'p ? at::bernoulli(self, *p, generator) : at::bernoulli(self, generator)'],
  ['multinomial', 'T self, i numSamples, b replacement=false, gen? generator', 'T', 'at::multinomial(self, numSamples, replacement, generator)'],
  ['normal', 'T mean, T std, gen? generator', 'T', 'at::normal(mean, std, generator)', 'F'],
  ['normalSize', 'f mean, f std, i[] size, gen? generator, dtype? dtype, device? device', 'T', 'at::normal(mean, std, size, generator, opts(dtype, device))', 'F'],
  ['poisson', 'T self, gen? generator', 'T', 'at::poisson(self, generator)'],
  ['uniform_', 'T self, f from=0, f to=1, gen? generator', 'self', 'self.uniform_(from, to, generator)'],
  ['normal_', 'T self, f mean=0, f std=1, gen? generator', 'self', 'self.normal_(mean, std, generator)'],
  ['bernoulli_', 'T self, f p=0.5, gen? generator', 'self', 'self.bernoulli_(p, generator)'],
  ['exponential_', 'T self, f lambd=1, gen? generator', 'self', 'self.exponential_(lambd, generator)'],
  ['random_', 'T self, i from, i to, gen? generator', 'self', 'self.random_(from, to, generator)'],
];
