// Random ops; all draw from the default generator seeded by torch.manualSeed.
export default [
  ['rand', 'i[] size, dtype? dtype, device? device', 'T', 'at::rand(size, opts(dtype, device))'],
  ['randn', 'i[] size, dtype? dtype, device? device', 'T', 'at::randn(size, opts(dtype, device))'],
  ['randint', 'i low, i high, i[] size, dtype? dtype, device? device', 'T', 'at::randint(low, high, size, opts(dtype ? dtype : c10::optional<at::ScalarType>(at::kLong), device))'],
  ['randperm', 'i n, dtype? dtype, device? device', 'T', 'at::randperm(n, opts(dtype ? dtype : c10::optional<at::ScalarType>(at::kLong), device))'],
  ['bernoulli', 'T self, f? p', 'T', 'p ? at::bernoulli(self, *p) : at::bernoulli(self)'],
  ['multinomial', 'T self, i numSamples, b replacement=false', 'T', 'at::multinomial(self, numSamples, replacement)'],
  ['normal', 'T mean, T std', 'T', 'at::normal(mean, std)', 'F'],
  ['poisson', 'T self', 'T', 'at::poisson(self)'],
  ['uniform_', 'T self, f from=0, f to=1', 'self', 'self.uniform_(from, to)'],
  ['normal_', 'T self, f mean=0, f std=1', 'self', 'self.normal_(mean, std)'],
  ['bernoulli_', 'T self, f p=0.5', 'self', 'self.bernoulli_(p)'],
  ['exponential_', 'T self, f lambd=1', 'self', 'self.exponential_(lambd)'],
  ['random_', 'T self, i from, i to', 'self', 'self.random_(from, to)'],
];
