exports.generate = () => {};
