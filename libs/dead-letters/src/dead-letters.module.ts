import { Module } from '@nestjs/common';
import { DeadLetters } from './dead-letters.service.js';

/** Dead letters of failed jobs. Needs `DatabaseModule.forRoot()`. */
@Module({
  providers: [DeadLetters],
  exports: [DeadLetters],
})
export class DeadLettersModule {}
