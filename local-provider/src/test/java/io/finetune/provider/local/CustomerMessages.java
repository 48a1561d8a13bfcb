package io.finetune.provider.local;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Customer messages answered with a reply draft: one template per kind of request, with the
 * customer's name and order number from the message. Held-out messages use other names.
 */
final class CustomerMessages {
  private static final String[] NAMES = {
    "Priya", "Sam", "Olu", "Grace", "Hamid", "Lena", "Mei", "Rafael", "Ingrid", "Kwame", "Sofia",
    "Dmitri", "Aisha", "Connor", "Yuki", "Beatriz", "Farid", "Helga", "Nikhil", "Rosa"
  };
  // Per kind: messages, then the reply.
  private static final String[][] KINDS = {
    {
      "Hi, this is {name}. Order {order} arrived broken, can you help?",
      "Hello, {name} here. My order {order} came damaged.",
      "Order {order} was smashed when it arrived. Regards, {name}",
      "Hi, I'm {name} and the box for order {order} was crushed, the vase inside is broken.",
      "Hi {name}, I'm sorry order {order} arrived damaged. We'll ship a replacement today."
    },
    {
      "Hi, this is {name}. Where is order {order}? It's a week late.",
      "{name} here - order {order} still hasn't arrived.",
      "Hello, order {order} was due on Monday and I still don't have it. Thanks, {name}",
      "Hi {name}, sorry order {order} is late. It should reach you within two days."
    },
    {
      "Hi, it's {name}. I'd like a refund for order {order}.",
      "Please refund order {order}, I returned it last week. Thanks, {name}",
      "Hello, {name} here. When will I get my money back for order {order}?",
      "Hi {name}, your refund for order {order} is on its way. Expect it in five business days."
    },
    {
      "{name} here, please cancel order {order} before it ships.",
      "Hi, this is {name}. Can you cancel order {order}? I ordered the wrong size.",
      "Hello, I changed my mind about order {order}, please cancel it. {name}",
      "Hi {name}, order {order} is cancelled. You won't be charged."
    },
  };

  private CustomerMessages() {}

  static List<FineTunedModel.Example> generate(int n, boolean heldOut, long seed) {
    Random r = new Random(seed);
    List<FineTunedModel.Example> out = new ArrayList<>();
    int half = NAMES.length / 2;
    for (int i = 0; i < n; i++) {
      String name = NAMES[(heldOut ? half : 0) + r.nextInt(half)];
      String order = String.valueOf(1000 + r.nextInt(9000));
      String[] kind = KINDS[r.nextInt(KINDS.length)];
      String message = kind[r.nextInt(kind.length - 1)];
      String reply = kind[kind.length - 1];
      out.add(
          new FineTunedModel.Example(
              message.replace("{name}", name).replace("{order}", order),
              reply.replace("{name}", name).replace("{order}", order)));
    }
    return out;
  }
}
